// The dashboards list: create, rename, clone, delete, import, export.

import { useState } from 'preact/hooks';
import { useAsync } from '../hooks';
import * as api from '../dashboardsApi';
import { exportChronograf } from '../dashboard';
import { importDashboard } from '../importV2';
import { navigate, linkClick } from '../router';
import { download } from './Explorer';

/** The dashboards page. */
export function Dashboards() {
  const list = useAsync((signal) => api.listDashboards(signal), []);
  const [name, setName] = useState('');
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const [importText, setImportText] = useState<string | null>(null);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const guard = async (f: () => Promise<void>) => {
    try {
      await f();
    } catch (e) {
      setMsg({ ok: false, text: (e as Error).message });
    }
  };
  const doImport = (text: string) =>
    guard(async () => {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw new Error(`The file is not JSON: ${(e as Error).message}`);
      }
      const { dashboard, warnings } = importDashboard(json, api.newId);
      const id = await api.createDashboard(dashboard);
      setImportText(null);
      if (warnings.length) sessionStorage.setItem('almanac.importWarnings', JSON.stringify(warnings));
      navigate(`/dashboards/${id}`);
    });
  return (
    <div>
      <div class="spread">
        <h1>Dashboards</h1>
        <div class="row">
          <form
            class="row"
            onSubmit={(e) => {
              e.preventDefault();
              guard(async () => {
                const id = await api.createDashboard({ name, description: '', cells: [], templates: [] });
                navigate(`/dashboards/${id}?edit=1`);
              });
            }}
          >
            <label>
              Name <input value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} placeholder="New dashboard" />
            </label>
            <button class="primary" type="submit" disabled={!name.trim()}>
              Create dashboard
            </button>
          </form>
          <button onClick={() => setImportText(importText === null ? '' : null)}>Import dashboard</button>
        </div>
      </div>
      {msg && (
        <p class={msg.ok ? 'ok' : 'error'} role="alert">
          {msg.text}
        </p>
      )}
      {importText !== null && (
        <div class="card" style={{ margin: '10px 0' }}>
          <h2 style={{ marginTop: 0 }}>Import a Chronograf dashboard</h2>
          <p class="muted">Paste the JSON of Chronograf's “Export dashboard” or an InfluxDB 2 dashboard template (<code>influx export</code>), or choose the file.</p>
          <label class="sr-only" for="import-file">
            Dashboard JSON file
          </label>
          <input
            id="import-file"
            type="file"
            accept="application/json,.json"
            onChange={async (e) => {
              const f = (e.target as HTMLInputElement).files?.[0];
              if (f) setImportText(await f.text());
            }}
          />
          <textarea
            aria-label="Dashboard JSON"
            rows={10}
            style={{ width: '100%', marginTop: '8px', fontFamily: 'monospace' }}
            value={importText}
            onInput={(e) => setImportText((e.target as HTMLTextAreaElement).value)}
          />
          <div class="row">
            <button class="primary" disabled={!importText.trim()} onClick={() => doImport(importText)}>
              Import
            </button>
            <button onClick={() => setImportText(null)}>Cancel</button>
          </div>
        </div>
      )}
      {list.loading && !list.data && <span class="spinner" role="status" aria-label="Loading" />}
      {list.error && <p class="error">{list.error}</p>}
      {list.data?.length === 0 && (
        <div class="empty">
          <p>No dashboards yet.</p>
          <p>Create one above, import a Chronograf dashboard, or open a host on the Hosts page for a ready-made one.</p>
        </div>
      )}
      {list.data && list.data.length > 0 && (
        <table class="data">
          <thead>
            <tr>
              <th>Name</th>
              <th>Cells</th>
              <th>Updated</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.data.map((d) => (
              <tr>
                <td>
                  {renaming?.id === d.id ? (
                    <form
                      class="row"
                      onSubmit={(e) => {
                        e.preventDefault();
                        guard(async () => {
                          await api.renameDashboard(d.id, renaming.name);
                          setRenaming(null);
                          list.reload();
                        });
                      }}
                    >
                      <input aria-label="New name" value={renaming.name} onInput={(e) => setRenaming({ id: d.id, name: (e.target as HTMLInputElement).value })} />
                      <button type="submit">Save</button>
                      <button type="button" onClick={() => setRenaming(null)}>
                        Cancel
                      </button>
                    </form>
                  ) : (
                    <a href={`/dashboards/${d.id}`} onClick={linkClick}>
                      {d.name}
                    </a>
                  )}
                </td>
                <td>{d.cells}</td>
                <td>{d.updatedAt.replace('T', ' ').replace(/\..*/, '')}</td>
                <td>
<span class="row">
                  <button class="link" onClick={() => setRenaming({ id: d.id, name: d.name })}>
                    Rename
                  </button>
                  <button class="link" onClick={() => guard(async () => (await api.cloneDashboard(d.id), list.reload()))}>
                    Clone
                  </button>
                  <button
                    class="link"
                    onClick={() =>
                      guard(async () => {
                        const full = await api.getDashboard(d.id);
                        download(`${d.name}.json`, JSON.stringify(exportChronograf(full), null, 2), 'application/json');
                      })
                    }
                  >
                    Export
                  </button>
                  <button class="link danger" onClick={() => confirm(`Delete dashboard ${d.name}?`) && guard(async () => (await api.deleteDashboard(d.id), list.reload()))}>
                    Delete
                  </button>
                </span>
</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
