// A result table (first rows only, with the total shown).

import type { Table as TableData } from '../results';

const MAX_ROWS = 2000;

function cell(v: unknown, timeCol: boolean): string {
  if (v === null || v === undefined) return '';
  if (timeCol && typeof v === 'number') return new Date(v).toISOString();
  return String(v);
}

/** The table component. */
export function ResultTable({ table }: { table: TableData }) {
  if (table.columns.length === 0) return <p class="muted">No rows.</p>;
  const shown = table.rows.slice(0, MAX_ROWS);
  const timeIdx = table.columns.indexOf('time');
  return (
    <div class="table-wrap">
      <table class="data">
        <thead>
          <tr>
            {table.columns.map((c) => (
              <th scope="col">{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((r) => (
            <tr>
              {r.map((v, i) => (
                <td>{cell(v, i === timeIdx)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {table.rows.length > MAX_ROWS && (
        <p class="muted">
          Showing the first {MAX_ROWS} of {table.rows.length} rows; download the CSV for all.
        </p>
      )}
    </div>
  );
}
