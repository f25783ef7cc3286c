// Alerting: not available until the server provides the alerting API.

/** The alerting placeholder page. */
export function Alerting() {
  return (
    <div>
      <h1>Alerting</h1>
      <div class="notice" role="status">
        Alerting is not available yet: this server does not provide the alerting API (<code>/kapacitor/v1</code>) to the UI. Alert rules,
        the TICKscript editor and the alert history will appear here once it does.
      </div>
    </div>
  );
}
