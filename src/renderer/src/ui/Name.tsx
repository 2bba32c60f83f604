// A long name cut in the middle: its start and its end stay in view ("team-0/recommendation-…
// carousel-017"), where names that share a long prefix differ. The full name is on hover.
export function MidName({ text, tail = 16, className }: { text: string; tail?: number; className?: string }) {
  if (text.length <= tail + 8)
    return (
      <span className={`ellipsis ${className ?? ''}`} title={text}>
        {text}
      </span>
    )
  return (
    <span className={`mid-name ${className ?? ''}`} title={text}>
      <span className="mid-head">{text.slice(0, text.length - tail)}</span>
      <span className="mid-tail">{text.slice(text.length - tail)}</span>
    </span>
  )
}
