// The console's one table (@tanstack/react-table for sorting and filtering, @tanstack/react-virtual
// for long lists): fixed layout so it never scrolls sideways, ellipsis with the full text on hover,
// a sticky header and name column, columns that hide by priority as the window narrows, sortable
// headers, a filter box (`/` focuses it), and keyboard rows (j/k or arrows to move, Enter to open).
import {
  flexRender,
  getCoreRowModel,
  getFilteredRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type RowData,
  type SortingState,
} from '@tanstack/react-table'
import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react'

declare module '@tanstack/react-table' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the library's declaration names both
  interface ColumnMeta<TData extends RowData, TValue> {
    /** 1: always shown (the default); 2 and then 3 are hidden first as the table narrows. */
    priority?: 1 | 2 | 3
    /** The width it takes (px). A column without one shares what is left (the name). */
    width?: number
    /** Right-aligned numbers. */
    num?: boolean
    /** The cell's full text on hover, where the cell is cut. Default: the cell's value. */
    title?: (row: TData) => string
  }
}

export interface DataTableProps<T> {
  data: T[]
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- columns of mixed value types
  columns: ColumnDef<T, any>[]
  rowKey: (row: T) => string
  /** The table's accessible name. */
  label: string
  testId?: string
  /** Enter on the active row (or a double click) opens it. */
  onOpen?: (row: T) => void
  /** With a placeholder: a filter box over every column's text. */
  filterPlaceholder?: string
  initialSort?: SortingState
  /** data-* attributes of a row (tests and links find rows by them). */
  rowAttrs?: (row: T) => Record<string, string>
  /** Shown instead of the table when there are no rows at all. */
  empty?: ReactNode
  /** Controls beside the filter box (selects of the screen). */
  toolbar?: ReactNode
  /** Above this many rows, rows are virtualized in a box this tall (px). */
  maxHeight?: number
}

const ROW_PX = 37
const NAME_MIN_PX = 200

function useWidth(ref: React.RefObject<HTMLElement | null>): number {
  const [w, setW] = useState(1200)
  useLayoutEffect(() => {
    const el = ref.current
    if (!el) return
    setW(el.clientWidth)
    const ro = new ResizeObserver(([e]) => setW(Math.round(e.contentRect.width)))
    ro.observe(el)
    return () => ro.disconnect()
  }, [ref])
  return w
}

export function DataTable<T>(p: DataTableProps<T>) {
  const [sorting, setSorting] = useState<SortingState>(p.initialSort ?? [])
  const [filter, setFilter] = useState('')
  // The highlighted row by its id, so a live re-sort does not move the highlight to another row.
  const [activeId, setActiveId] = useState<string | null>(null)
  const wrap = useRef<HTMLDivElement>(null)
  const scroller = useRef<HTMLDivElement>(null)
  const width = useWidth(wrap)

  // Which columns fit: every priority-1 column, then priority 2, then 3, while the name keeps its room.
  const visibility = useMemo(() => {
    const cols = p.columns.map((c, i) => ({ id: c.id ?? String(i), meta: c.meta ?? {} }))
    let used = cols.filter((c) => (c.meta.priority ?? 1) === 1).reduce((a, c) => a + (c.meta.width ?? NAME_MIN_PX), 0)
    const vis: Record<string, boolean> = {}
    for (const c of cols) vis[c.id] = (c.meta.priority ?? 1) === 1
    for (const prio of [2, 3]) {
      for (const c of cols.filter((x) => x.meta.priority === prio)) {
        const need = c.meta.width ?? NAME_MIN_PX
        if (used + need <= width) {
          vis[c.id] = true
          used += need
        }
      }
    }
    return vis
  }, [p.columns, width])

  // No React Compiler runs here: the table instance is used as the library documents it.
  // eslint-disable-next-line react-hooks/incompatible-library
  const table = useReactTable({
    data: p.data,
    columns: p.columns,
    state: { sorting, globalFilter: filter, columnVisibility: visibility },
    onSortingChange: setSorting,
    onGlobalFilterChange: setFilter,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getFilteredRowModel: getFilteredRowModel(),
    getRowId: (row) => p.rowKey(row),
    globalFilterFn: 'includesString',
  })
  const rows = table.getRowModel().rows
  const active = activeId === null ? -1 : rows.findIndex((r) => r.id === activeId)
  const setActive = (next: number | ((a: number) => number)): void => {
    const i = typeof next === 'function' ? next(active) : next
    setActiveId(rows[Math.max(0, Math.min(rows.length - 1, i))]?.id ?? null)
  }
  const virtual = p.maxHeight !== undefined && rows.length * ROW_PX > p.maxHeight
  const v = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_PX,
    overscan: 12,
    enabled: virtual,
  })
  useEffect(() => {
    if (active < 0) return
    if (virtual) v.scrollToIndex(active, { align: 'auto' })
    else scroller.current?.querySelector(`tr[data-index="${active}"]`)?.scrollIntoView?.({ block: 'nearest' })
  }, [active, virtual, v])

  const onKey = (e: React.KeyboardEvent): void => {
    // Only keys meant for the rows: a focused button, link or field inside keeps its own.
    if (e.target !== e.currentTarget || e.ctrlKey || e.metaKey || e.altKey) return
    const last = rows.length - 1
    if (e.key === 'j' || e.key === 'ArrowDown') setActive((a) => Math.min(last, a + 1))
    else if (e.key === 'k' || e.key === 'ArrowUp') setActive((a) => Math.max(0, a - 1))
    else if (e.key === 'Home') setActive(0)
    else if (e.key === 'End') setActive(last)
    else if (e.key === 'Enter' && active >= 0 && p.onOpen) {
      p.onOpen(rows[active].original)
    } else return
    e.preventDefault()
  }

  if (p.data.length === 0 && p.empty) return <>{p.empty}</>
  const visibleCols = table.getVisibleLeafColumns()
  const hidden = table.getAllLeafColumns().length - visibleCols.length
  const items = virtual
    ? v.getVirtualItems()
    : rows.map((_, i) => ({ index: i, start: i * ROW_PX, end: (i + 1) * ROW_PX, key: i }))
  const padTop = virtual && items.length ? items[0].start : 0
  const padBottom = virtual && items.length ? v.getTotalSize() - items[items.length - 1].end : 0

  return (
    <div className="dt" ref={wrap} data-testid={p.testId}>
      {p.filterPlaceholder || p.toolbar ? (
        <div className="toolbar pad">
          {p.filterPlaceholder ? (
            <input
              type="search"
              placeholder={`${p.filterPlaceholder} (/)`}
              aria-label={p.filterPlaceholder}
              value={filter}
              data-screen-filter=""
              onChange={(e) => setFilter(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Escape') setFilter('')
                if (e.key === 'ArrowDown' || e.key === 'Enter') {
                  e.preventDefault()
                  setActive(0)
                  scroller.current?.focus()
                }
              }}
            />
          ) : null}
          {p.toolbar}
        </div>
      ) : null}
      <div
        className="dt-scroll"
        ref={scroller}
        style={virtual ? { maxHeight: p.maxHeight } : undefined}
        tabIndex={0}
        role="group"
        aria-label={`${p.label}: j and k move between rows${p.onOpen ? ', Enter opens' : ''}`}
        onKeyDown={onKey}
      >
        <table className="table dt-table" aria-label={p.label} aria-rowcount={rows.length + 1}>
          <colgroup>
            {visibleCols.map((c) => (
              <col key={c.id} style={c.columnDef.meta?.width ? { width: c.columnDef.meta.width } : undefined} />
            ))}
          </colgroup>
          <thead>
            {table.getHeaderGroups().map((hg) => (
              <tr key={hg.id}>
                {hg.headers.map((h) => {
                  const sort = h.column.getIsSorted()
                  const label = flexRender(h.column.columnDef.header, h.getContext())
                  return (
                    <th
                      key={h.id}
                      scope="col"
                      className={h.column.columnDef.meta?.num ? 'num' : undefined}
                      aria-sort={sort === 'asc' ? 'ascending' : sort === 'desc' ? 'descending' : undefined}
                    >
                      {h.column.getCanSort() ? (
                        <button type="button" className="sort" onClick={h.column.getToggleSortingHandler()}>
                          {label}
                          <span aria-hidden="true">{sort === 'asc' ? ' ▲' : sort === 'desc' ? ' ▼' : ''}</span>
                        </button>
                      ) : (
                        label
                      )}
                    </th>
                  )
                })}
              </tr>
            ))}
          </thead>
          <tbody>
            {padTop > 0 ? (
              <tr aria-hidden="true" className="dt-pad">
                <td colSpan={visibleCols.length} style={{ height: padTop }} />
              </tr>
            ) : null}
            {items.map((it) => {
              const row = rows[it.index]
              if (!row) return null
              return (
                <tr
                  key={row.id}
                  ref={virtual ? v.measureElement : undefined}
                  data-index={it.index}
                  data-active={it.index === active ? 'true' : undefined}
                  aria-selected={it.index === active}
                  aria-rowindex={it.index + 2}
                  onClick={() => setActive(it.index)}
                  onDoubleClick={() => p.onOpen?.(row.original)}
                  {...(p.rowAttrs?.(row.original) ?? {})}
                >
                  {row.getVisibleCells().map((cell) => {
                    const meta = cell.column.columnDef.meta
                    const value = cell.getValue()
                    const title =
                      meta?.title?.(row.original) ??
                      (typeof value === 'string' || typeof value === 'number' ? String(value) : undefined)
                    return (
                      <td key={cell.id} className={meta?.num ? 'num' : undefined} title={title}>
                        {flexRender(cell.column.columnDef.cell, cell.getContext())}
                      </td>
                    )
                  })}
                </tr>
              )
            })}
            {padBottom > 0 ? (
              <tr aria-hidden="true" className="dt-pad">
                <td colSpan={visibleCols.length} style={{ height: padBottom }} />
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      <p className="dt-foot muted small pad" aria-live="polite">
        {rows.length === p.data.length ? `${rows.length} rows` : `${rows.length} of ${p.data.length} rows match`}
        {hidden ? ` · ${hidden} column${hidden === 1 ? '' : 's'} hidden to fit (widen the window to see them)` : ''}
      </p>
    </div>
  )
}
