// Admin: databases and retention policies, users and grants, running queries,
// server health and metrics — all InfluxQL over /query except health/metrics.

import { useState } from 'preact/hooks';
import { influxql, authHeaders } from '../api';
import { quoteIdent, quoteString } from '../influxql';
import { rowsAsObjects } from '../results';
import * as schema from '../schema';
import { useAsync, useInterval } from '../hooks';

type Tab = 'databases' | 'users' | 'queries' | 'server';

/** Runs one admin statement, reporting errors/success through `setMsg`. */
function useAction(reload: () => void) {
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const act = async (q: string, done: string) => {
    try {
      await influxql(q);
      setMsg({ ok: true, text: done });
      reload();
      return true;
    } catch (e) {
      setMsg({ ok: false, text: (e as Error).message });
      return false;
    }
  };
  const view = msg && (
    <p class={msg.ok ? 'ok' : 'error'} role={msg.ok ? 'status' : 'alert'}>
      {msg.text}
    </p>
  );
  return { act, view };
}

function Databases() {
  const data = useAsync(async (signal) => {
    const dbs = await schema.databases(signal);
    return Promise.all(dbs.map(async (db) => ({ db, rps: await schema.retentionPolicies(db, signal) })));
  }, []);
  const { act, view } = useAction(data.reload);
  const [name, setName] = useState('');
  const [rp, setRp] = useState<{ db: string; name: string; duration: string; shard: string; def: boolean; alter: boolean } | null>(null);
  return (
    <section aria-label="Databases">
      <form
        class="row"
        onSubmit={async (e) => {
          e.preventDefault();
          if (name && (await act(`CREATE DATABASE ${quoteIdent(name)}`, `Created database ${name}`))) setName('');
        }}
      >
        <label>
          New database
          <input value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} placeholder="name" />
        </label>
        <button class="primary" type="submit" disabled={!name}>
          Create database
        </button>
      </form>
      {view}
      {data.error && <p class="error">{data.error}</p>}
      {data.data?.length === 0 && <p class="empty">No databases yet.</p>}
      {rp && (
        <form
          class="card row"
          aria-label="Retention policy"
          onSubmit={async (e) => {
            e.preventDefault();
            const parts = [`DURATION ${rp.duration || 'INF'}`];
            if (!rp.alter) parts.push('REPLICATION 1');
            if (rp.shard) parts.push(`SHARD DURATION ${rp.shard}`);
            if (rp.def) parts.push('DEFAULT');
            const verb = rp.alter ? 'ALTER' : 'CREATE';
            const ok = await act(
              `${verb} RETENTION POLICY ${quoteIdent(rp.name)} ON ${quoteIdent(rp.db)} ${parts.join(' ')}`,
              `${rp.alter ? 'Altered' : 'Created'} retention policy ${rp.name} on ${rp.db}`,
            );
            if (ok) setRp(null);
          }}
        >
          <strong>
            {rp.alter ? 'Alter' : 'New'} retention policy on {rp.db}
          </strong>
          <label>
            Name
            <input value={rp.name} disabled={rp.alter} onInput={(e) => setRp({ ...rp, name: (e.target as HTMLInputElement).value })} />
          </label>
          <label>
            Duration
            <input value={rp.duration} placeholder="7d or INF" size={8} onInput={(e) => setRp({ ...rp, duration: (e.target as HTMLInputElement).value })} />
          </label>
          <label>
            Shard duration
            <input value={rp.shard} placeholder="auto" size={8} onInput={(e) => setRp({ ...rp, shard: (e.target as HTMLInputElement).value })} />
          </label>
          <label>
            <input type="checkbox" checked={rp.def} onChange={() => setRp({ ...rp, def: !rp.def })} /> Default
          </label>
          <button class="primary" type="submit" disabled={!rp.name}>
            Save
          </button>
          <button type="button" onClick={() => setRp(null)}>
            Cancel
          </button>
        </form>
      )}
      {data.data?.map(({ db, rps }) => (
        <div class="card" style={{ marginTop: '10px' }} data-testid={`db-${db}`}>
          <div class="spread">
            <h3 style={{ margin: 0 }}>{db}</h3>
            <div class="row">
              <button onClick={() => setRp({ db, name: '', duration: '', shard: '', def: false, alter: false })}>Add retention policy</button>
              <button
                class="danger"
                onClick={() => confirm(`Drop database ${db} and all its data?`) && act(`DROP DATABASE ${quoteIdent(db)}`, `Dropped database ${db}`)}
              >
                Drop database
              </button>
            </div>
          </div>
          <table class="data" style={{ marginTop: '6px' }}>
            <thead>
              <tr>
                <th>Retention policy</th>
                <th>Duration</th>
                <th>Shard group duration</th>
                <th>Default</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rps.map((r) => (
                <tr>
                  <td>{r.name}</td>
                  <td>{r.duration === '0s' ? '∞' : r.duration}</td>
                  <td>{r.shardGroupDuration}</td>
                  <td>{r.default ? 'yes' : ''}</td>
                  <td>
                    <button class="link" onClick={() => setRp({ db, name: r.name, duration: r.duration === '0s' ? 'INF' : r.duration, shard: '', def: r.default, alter: true })}>
                      Edit
                    </button>
                    <button
                      class="link danger"
                      onClick={() =>
                        confirm(`Drop retention policy ${r.name} and its data?`) &&
                        act(`DROP RETENTION POLICY ${quoteIdent(r.name)} ON ${quoteIdent(db)}`, `Dropped retention policy ${r.name}`)
                      }
                    >
                      Drop
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}

function UserGrants({ user, dbs, act }: { user: string; dbs: string[]; act: (q: string, d: string) => Promise<boolean> }) {
  const grants = useAsync(async (signal) => rowsAsObjects(await influxql(`SHOW GRANTS FOR ${quoteIdent(user)}`, { signal })), [user]);
  const [db, setDb] = useState(dbs[0] ?? '');
  const [priv, setPriv] = useState('ALL');
  const run = async (q: string, d: string) => (await act(q, d)) && grants.reload();
  return (
    <div>
      {grants.error && <p class="error">{grants.error}</p>}
      <ul>
        {grants.data?.map((g) => (
          <li>
            {String(g.database)}: {String(g.privilege)}{' '}
            <button
              class="link danger"
              onClick={() => run(`REVOKE ALL ON ${quoteIdent(String(g.database))} FROM ${quoteIdent(user)}`, `Revoked ${user}'s privileges on ${g.database}`)}
            >
              Revoke
            </button>
          </li>
        ))}
        {grants.data?.length === 0 && <li class="muted">No database privileges</li>}
      </ul>
      <div class="row">
        <label>
          Database
          <select aria-label={`Grant database for ${user}`} value={db} onChange={(e) => setDb((e.target as HTMLSelectElement).value)}>
            {dbs.map((d) => (
              <option value={d}>{d}</option>
            ))}
          </select>
        </label>
        <label>
          Privilege
          <select aria-label={`Grant privilege for ${user}`} value={priv} onChange={(e) => setPriv((e.target as HTMLSelectElement).value)}>
            <option>ALL</option>
            <option>READ</option>
            <option>WRITE</option>
          </select>
        </label>
        <button disabled={!db} onClick={() => run(`GRANT ${priv} ON ${quoteIdent(db)} TO ${quoteIdent(user)}`, `Granted ${priv} on ${db} to ${user}`)}>
          Grant
        </button>
      </div>
    </div>
  );
}

function Users() {
  const data = useAsync(async (signal) => {
    const users = rowsAsObjects(await influxql('SHOW USERS', { signal })).map((r) => ({ user: String(r.user), admin: r.admin === true }));
    return { users, dbs: await schema.databases(signal) };
  }, []);
  const { act, view } = useAction(data.reload);
  const [form, setForm] = useState({ name: '', password: '', admin: false });
  const [open, setOpen] = useState<string | null>(null);
  const [pw, setPw] = useState('');
  return (
    <section aria-label="Users">
      <form
        class="row"
        onSubmit={async (e) => {
          e.preventDefault();
          const q = `CREATE USER ${quoteIdent(form.name)} WITH PASSWORD ${quoteString(form.password)}${form.admin ? ' WITH ALL PRIVILEGES' : ''}`;
          if (await act(q, `Created user ${form.name}`)) setForm({ name: '', password: '', admin: false });
        }}
      >
        <label>
          Username
          <input value={form.name} autocomplete="off" onInput={(e) => setForm({ ...form, name: (e.target as HTMLInputElement).value })} />
        </label>
        <label>
          Password
          <input type="password" autocomplete="new-password" value={form.password} onInput={(e) => setForm({ ...form, password: (e.target as HTMLInputElement).value })} />
        </label>
        <label>
          <input type="checkbox" checked={form.admin} onChange={() => setForm({ ...form, admin: !form.admin })} /> Admin
        </label>
        <button class="primary" type="submit" disabled={!form.name || !form.password}>
          Create user
        </button>
      </form>
      {view}
      {data.error && <p class="error">{data.error}</p>}
      {data.data?.users.length === 0 && <p class="empty">No users yet. Create an admin before enabling authentication.</p>}
      {data.data && data.data.users.length > 0 && (
        <table class="data" style={{ marginTop: '10px' }}>
          <thead>
            <tr>
              <th>User</th>
              <th>Admin</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.data.users.map((u) => (
              <>
                <tr data-testid={`user-${u.user}`}>
                  <td>{u.user}</td>
                  <td>
                    <label>
                      <input
                        type="checkbox"
                        checked={u.admin}
                        aria-label={`${u.user} is admin`}
                        onChange={() =>
                          act(
                            u.admin ? `REVOKE ALL PRIVILEGES FROM ${quoteIdent(u.user)}` : `GRANT ALL PRIVILEGES TO ${quoteIdent(u.user)}`,
                            `${u.admin ? 'Revoked' : 'Granted'} admin for ${u.user}`,
                          )
                        }
                      />
                    </label>
                  </td>
                  <td>
<span class="row">
                    <button class="link" onClick={() => (setOpen(open === u.user ? null : u.user), setPw(''))}>
                      {open === u.user ? 'Close' : 'Password & grants'}
                    </button>
                    <button class="link danger" onClick={() => confirm(`Drop user ${u.user}?`) && act(`DROP USER ${quoteIdent(u.user)}`, `Dropped user ${u.user}`)}>
                      Drop
                    </button>
                  </span>
</td>
                </tr>
                {open === u.user && (
                  <tr>
                    <td colSpan={3}>
                      <form
                        class="row"
                        onSubmit={async (e) => {
                          e.preventDefault();
                          if (await act(`SET PASSWORD FOR ${quoteIdent(u.user)} = ${quoteString(pw)}`, `Password of ${u.user} changed`)) setPw('');
                        }}
                      >
                        <label>
                          New password
                          <input type="password" autocomplete="new-password" value={pw} onInput={(e) => setPw((e.target as HTMLInputElement).value)} />
                        </label>
                        <button type="submit" disabled={!pw}>
                          Set password
                        </button>
                      </form>
                      <UserGrants user={u.user} dbs={data.data!.dbs} act={act} />
                    </td>
                  </tr>
                )}
              </>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Queries() {
  const data = useAsync(async (signal) => rowsAsObjects(await influxql('SHOW QUERIES', { signal })), []);
  useInterval(data.reload, 2000);
  const { act, view } = useAction(data.reload);
  return (
    <section aria-label="Running queries">
      {view}
      {data.error && <p class="error">{data.error}</p>}
      <table class="data">
        <thead>
          <tr>
            <th>ID</th>
            <th>Database</th>
            <th>Query</th>
            <th>Duration</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data.data?.map((q) => (
            <tr>
              <td>{String(q.qid)}</td>
              <td>{String(q.database ?? '')}</td>
              <td style={{ whiteSpace: 'normal' }}>
                <code>{String(q.query)}</code>
              </td>
              <td>{String(q.duration ?? '')}</td>
              <td>{String(q.status ?? '')}</td>
              <td>
                <button class="link danger" onClick={() => act(`KILL QUERY ${Number(q.qid)}`, `Killed query ${q.qid}`)}>
                  Kill
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted">Refreshes every 2 seconds; this page's own SHOW QUERIES is listed too.</p>
    </section>
  );
}

function Server() {
  const data = useAsync(async (signal) => {
    const health = await (await fetch('/health', { signal })).json();
    const res = await fetch('/metrics', { signal, headers: authHeaders() });
    const metrics = res.ok ? await res.text() : `metrics: HTTP ${res.status}`;
    return { health, metrics };
  }, []);
  const [filter, setFilter] = useState('');
  const lines = (data.data?.metrics ?? '').split('\n').filter((l) => l && !l.startsWith('#') && l.includes(filter));
  return (
    <section aria-label="Server">
      {data.error && <p class="error">{data.error}</p>}
      {data.data && (
        <>
          <div class="card">
            <strong>Health:</strong> <span class={data.data.health.status === 'pass' ? 'ok' : 'error'}>{String(data.data.health.status)}</span>{' '}
            <span class="muted">
              {String(data.data.health.message ?? '')} — version {String(data.data.health.version ?? '')}
            </span>
          </div>
          <div class="row" style={{ margin: '10px 0' }}>
            <label>
              Filter metrics <input value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
            </label>
            <button onClick={data.reload}>Refresh</button>
          </div>
          <pre class="card" style={{ maxHeight: '480px', overflow: 'auto', fontSize: '12px' }}>
            {lines.join('\n')}
          </pre>
        </>
      )}
    </section>
  );
}

/** The admin page. */
export function Admin() {
  const [tab, setTab] = useState<Tab>('databases');
  const tabs: { id: Tab; label: string }[] = [
    { id: 'databases', label: 'Databases' },
    { id: 'users', label: 'Users' },
    { id: 'queries', label: 'Queries' },
    { id: 'server', label: 'Server' },
  ];
  return (
    <div>
      <h1>Admin</h1>
      <div class="tabs" role="tablist">
        {tabs.map((t) => (
          <button role="tab" aria-selected={tab === t.id} onClick={() => setTab(t.id)}>
            {t.label}
          </button>
        ))}
      </div>
      {tab === 'databases' && <Databases />}
      {tab === 'users' && <Users />}
      {tab === 'queries' && <Queries />}
      {tab === 'server' && <Server />}
    </div>
  );
}
