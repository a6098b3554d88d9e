// All differential scenarios, by protocol.md section.

import type { Scenario } from '../helpers/scenario.js';
import { scenarios as connect } from './connect.js';
import { scenarios as framing } from './framing.js';
import { scenarios as pubsub } from './pubsub.js';
import { scenarios as subjects } from './subjects.js';
import { scenarios as delivery } from './delivery.js';
import { scenarios as headers } from './headers.js';
import { scenarios as limits } from './limits.js';

export const scenarios: Scenario[] = [...connect, ...framing, ...pubsub, ...subjects, ...delivery, ...headers, ...limits];
