// Time range picker: presets and a custom absolute range.

import { useState } from 'preact/hooks';
import { PRESETS, describe, type TimeRange } from '../timerange';

function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

/** The picker. */
export function TimeRangePicker({ value, onChange }: { value: TimeRange; onChange: (t: TimeRange) => void }) {
  const [custom, setCustom] = useState(false);
  const now = Date.now();
  const [start, setStart] = useState(toLocalInput(value.kind === 'absolute' ? value.start : now - 3600_000));
  const [end, setEnd] = useState(toLocalInput(value.kind === 'absolute' ? value.end : now));
  const sel = value.kind === 'relative' ? value.duration : 'custom';
  return (
    <span class="row">
      <label>
        <span>Time range</span>
        <select
          aria-label="Time range"
          value={custom ? 'custom' : sel}
          onChange={(e) => {
            const v = (e.target as HTMLSelectElement).value;
            if (v === 'custom') setCustom(true);
            else {
              setCustom(false);
              onChange({ kind: 'relative', duration: v });
            }
          }}
        >
          {PRESETS.map((p) => (
            <option value={p.duration}>{p.label}</option>
          ))}
          <option value="custom">{value.kind === 'absolute' && !custom ? describe(value) : 'Custom range…'}</option>
        </select>
      </label>
      {custom && (
        <>
          <label>
            From <input type="datetime-local" value={start} onInput={(e) => setStart((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            To <input type="datetime-local" value={end} onInput={(e) => setEnd((e.target as HTMLInputElement).value)} />
          </label>
          <button
            onClick={() => {
              const a = new Date(start).getTime();
              const b = new Date(end).getTime();
              if (Number.isNaN(a) || Number.isNaN(b) || a >= b) return;
              setCustom(false);
              onChange({ kind: 'absolute', start: a, end: b });
            }}
          >
            Apply
          </button>
        </>
      )}
    </span>
  );
}
