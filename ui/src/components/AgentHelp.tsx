// How to get data in: the `almanac agent` commands, with this server's address.

import { getCredentials } from '../api';

interface Props {
  /** Agent inputs to configure (colon separated, as --input-filter takes them). */
  inputs?: string;
  /** An extra line for the configuration (e.g. a service input's address). */
  note?: string;
}

/** The commands that start the agent writing to this server. */
export function agentCommands(origin: string, inputs: string, note?: string, auth = false): string {
  return [
    `almanac agent --sample-config --input-filter ${inputs} --output-filter influxdb > agent.conf`,
    `# in [[outputs.influxdb]] of agent.conf: urls = ["${origin}"]${auth ? ', username and password' : ''}`,
    ...(note ? [`# ${note}`] : []),
    'almanac agent --config agent.conf',
  ].join('\n');
}

/** The empty-state recipe. */
export function AgentHelp({ inputs = 'cpu:mem:system:swap:disk:diskio:net:processes:kernel', note }: Props) {
  return (
    <pre class="code agent-help" data-testid="agent-help">
      {agentCommands(location.origin, inputs, note, getCredentials() !== null)}
    </pre>
  );
}
