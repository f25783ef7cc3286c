// Listing, adding and deleting annotations (shared by every dashboard).

import { useState } from 'preact/hooks';
import { deleteAnnotation, saveAnnotation, type Annotation } from '../annotations';
import { newId } from '../dashboardsApi';

function toLocalInput(ms: number): string {
  return new Date(ms - new Date(ms).getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

/** The dialog; `onChanged` reloads the annotations. */
export function AnnotationsDialog({ annotations, onChanged, onClose }: { annotations: Annotation[]; onChanged: () => void; onClose: () => void }) {
  const [text, setText] = useState('');
  const [start, setStart] = useState(toLocalInput(Date.now()));
  const [end, setEnd] = useState('');
  const [error, setError] = useState<string | null>(null);
  const guard = async (f: () => Promise<void>) => {
    try {
      setError(null);
      await f();
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div class="modal-back" role="dialog" aria-modal="true" aria-label="Annotations">
      <div class="modal">
        <div class="spread">
          <h2 style={{ marginTop: '0px' }}>Annotations</h2>
          <button onClick={onClose}>Close</button>
        </div>
        <p class="muted">Annotations show on every graph. They are stored as Chronograf stores them, in the <code>chronograf</code> database.</p>
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            const a = new Date(start).getTime();
            const b = end ? new Date(end).getTime() : a;
            if (!text.trim() || Number.isNaN(a) || Number.isNaN(b) || b < a) return setError('an annotation needs a text and an end not before its start');
            guard(async () => {
              await saveAnnotation({ id: newId(), text: text.trim(), type: '', start: a, end: b });
              setText('');
            });
          }}
        >
          <label>
            Text <input value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Start <input type="datetime-local" value={start} onInput={(e) => setStart((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            End (optional) <input type="datetime-local" value={end} onInput={(e) => setEnd((e.target as HTMLInputElement).value)} />
          </label>
          <button class="primary" type="submit">
            Add annotation
          </button>
        </form>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {annotations.length === 0 ? (
          <p class="muted">No annotations in this time range.</p>
        ) : (
          <table class="data" style={{ marginTop: '10px' }}>
            <thead>
              <tr>
                <th>Start</th>
                <th>End</th>
                <th>Text</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {annotations.map((a) => (
                <tr>
                  <td>{new Date(a.start).toISOString().replace('T', ' ').slice(0, 19)}</td>
                  <td>{a.end !== a.start ? new Date(a.end).toISOString().replace('T', ' ').slice(0, 19) : ''}</td>
                  <td>{a.text}</td>
                  <td>
                    <button class="link danger" onClick={() => guard(() => deleteAnnotation(a))}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}

/** Names a moment or span for the dialog title. */
function describeSpan(start: number, end: number): string {
  const f = (ms: number) => new Date(ms).toLocaleString();
  return start === end ? `at ${f(start)}` : `from ${f(start)} to ${f(end)}`;
}

/** Adding one annotation at a moment or span picked on a graph (click, or Shift+drag). */
export function NewAnnotationDialog({ start, end, onSaved, onClose }: { start: number; end: number; onSaved: () => void; onClose: () => void }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  return (
    <div
      class="modal-back"
      role="dialog"
      aria-modal="true"
      aria-label="New annotation"
      onKeyDown={(e) => {
        if (e.key === 'Escape') onClose();
      }}
    >
      <div class="modal" style={{ width: 'min(520px, 100%)' }}>
        <h2 style={{ marginTop: '0px' }}>New annotation</h2>
        <p class="muted">{describeSpan(start, end)}</p>
        <form
          class="row"
          onSubmit={async (e) => {
            e.preventDefault();
            if (!text.trim()) return setError('an annotation needs a text');
            setSaving(true);
            try {
              await saveAnnotation({ id: newId(), text: text.trim(), type: '', start, end });
              onSaved();
            } catch (err) {
              setError((err as Error).message);
            } finally {
              setSaving(false);
            }
          }}
        >
          <label style={{ flex: 1 }}>
            Text
            <input autoFocus style={{ flex: 1 }} aria-label="Annotation text" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
          </label>
          <button class="primary" type="submit" disabled={saving}>
            Save annotation
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </form>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </div>
    </div>
  );
}
