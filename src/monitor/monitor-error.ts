// The error of a monitoring request nats-server refuses (HTTP 400 with the message as the body).

export class MonitorError extends Error {
  override readonly name = 'MonitorError';
}
