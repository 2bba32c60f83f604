// Who acts: the audit names an actor per door ("alice", "alice via web from 10.0.0.5"); the person
// behind it is the same on every door (an approval by oneself through another door is one's own).
export function personOf(actor: string): string {
  return actor.replace(/ via (web|desktop)\b.*$/, '')
}
