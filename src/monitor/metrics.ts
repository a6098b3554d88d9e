// /metrics (tsnats only): the server counters in the Prometheus text exposition format 0.0.4.

import type { Server } from '../server/server.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Metric {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  samples: [labels: string, value: number][];
}

/** The exposition text (every metric with its HELP and TYPE lines, LF line ends). */
export function metrics(server: Server): string {
  const st = server.stats;
  const list: Metric[] = [
    { name: 'tsnats_connections', type: 'gauge', help: 'Open client connections.', samples: [['', server.clients.size]] },
    {
      name: 'tsnats_total_connections',
      type: 'counter',
      help: 'Client connections accepted since the server started.',
      samples: [['', server.totalConnections]],
    },
    { name: 'tsnats_in_msgs_total', type: 'counter', help: 'Messages received from clients.', samples: [['', st.inMsgs]] },
    { name: 'tsnats_out_msgs_total', type: 'counter', help: 'Messages delivered to clients.', samples: [['', st.outMsgs]] },
    { name: 'tsnats_in_bytes_total', type: 'counter', help: 'Payload bytes received from clients.', samples: [['', st.inBytes]] },
    { name: 'tsnats_out_bytes_total', type: 'counter', help: 'Payload bytes delivered to clients.', samples: [['', st.outBytes]] },
    {
      name: 'tsnats_slow_consumers_total',
      type: 'counter',
      help: 'Connections closed as slow consumers.',
      samples: [['', st.slowConsumers]],
    },
    { name: 'tsnats_subscriptions', type: 'gauge', help: 'Subscriptions in the subject registry.', samples: [['', server.numSubscriptions()]] },
    {
      name: 'tsnats_parser_info',
      type: 'gauge',
      help: 'The protocol scanner in use (native addon or TypeScript).',
      samples: [[`{path="${server.impl.name}"}`, 1]],
    },
  ];
  let out = '';
  for (const m of list) {
    out += `# HELP ${m.name} ${m.help}\n# TYPE ${m.name} ${m.type}\n`;
    for (const [labels, value] of m.samples) out += `${m.name}${labels} ${value}\n`;
  }
  return out;
}
