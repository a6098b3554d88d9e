// nats-server 2.9.10's JetStream API errors (jetstream_errors_generated.go): the HTTP-like code,
// the JetStream error code and the description, as the API renders them in `"error":{...}`.

export interface ApiError {
  readonly code: number;
  readonly err_code: number;
  readonly description: string;
}

/** An ApiError value. */
export const e = (code: number, err_code: number, description: string): ApiError => ({ code, err_code, description });

export const JSAccountResourcesExceededErr = e(400, 10002, 'resource limits exceeded for account');
export const JSBadRequestErr = e(400, 10003, 'bad request');
export const JSInsufficientResourcesErr = e(503, 10023, 'insufficient resources');
export const JSInvalidJSONErr = e(400, 10025, 'invalid JSON');
export const JSMaximumStreamsLimitErr = e(400, 10027, 'maximum number of streams reached');
export const JSMemoryResourcesExceededErr = e(500, 10028, 'insufficient memory resources available');
export const JSNoMessageFoundErr = e(404, 10037, 'no message found');
export const JSNotEmptyRequestErr = e(400, 10038, 'expected an empty request payload');
export const JSNotEnabledForAccountErr = e(503, 10039, 'JetStream not enabled for account');
export const JSStorageResourcesExceededErr = e(500, 10047, 'insufficient storage resources available');
export const JSStreamMessageExceedsMaximumErr = e(400, 10054, 'message size exceeds maximum allowed');
export const JSStreamMismatchErr = e(400, 10056, 'stream name in subject does not match request');
export const JSStreamNameExistErr = e(400, 10058, 'stream name already in use with a different configuration');
export const JSStreamNotFoundErr = e(404, 10059, 'stream not found');
export const JSStreamNotMatchErr = e(400, 10060, 'expected stream does not match');
export const JSStreamReplicasNotUpdatableErr = e(400, 10061, 'Replicas configuration can not be updated');
export const JSStreamSubjectOverlapErr = e(400, 10065, 'subjects overlap with an existing stream');
export const JSStreamReplicasNotSupportedErr = e(500, 10074, 'replicas > 1 not supported in non-clustered mode');
export const JSStreamHeaderExceedsMaximumErr = e(400, 10097, 'header size exceeds maximum allowed of 64k');
export const JSStreamSealedErr = e(400, 10109, 'invalid operation on sealed stream');
export const JSStreamMaxBytesRequired = e(400, 10113, 'account requires a stream config to have max bytes set');
export const JSStreamMaxStreamBytesExceeded = e(400, 10122, 'stream max bytes exceeds account limit max stream bytes');
export const JSStreamNameContainsPathSeparatorsErr = e(400, 10128, 'Stream name can not contain path separators');
export const JSReplicasCountCannotBeNegative = e(400, 10133, 'replicas count cannot be negative');
export const JSMirrorWithSubjectsErr = e(400, 10034, 'stream mirrors can not contain subjects');
export const JSStreamMirrorNotUpdatableErr = e(400, 10055, 'stream mirror configuration can not be updated');
export const JSMirrorMaxMessageSizeTooBigErr = e(400, 10030, 'stream mirror must have max message size >= source');
export const JSMirrorWithSourcesErr = e(400, 10031, 'stream mirrors can not also contain other sources');
export const JSSourceMaxMessageSizeTooBigErr = e(400, 10046, 'stream source must have max message size >= target');
/** JSStreamExternalApiOverlapErrF (400/10021). */
export const streamExternalApiOverlap = (prefix: string, subject: string): ApiError =>
  e(400, 10021, `stream external api prefix ${prefix} must not overlap with ${subject}`);
/** JSStreamExternalDelPrefixOverlapsErrF (400/10022). */
export const streamExternalDelPrefixOverlaps = (prefix: string, subject: string): ApiError =>
  e(400, 10022, `stream external delivery prefix ${prefix} overlaps with stream subject ${subject}`);
/** JSStreamInvalidExternalDeliverySubjErrF (400/10024). */
export const streamInvalidExternalDeliverySubj = (prefix: string): ApiError => e(400, 10024, `stream external delivery prefix ${prefix} must not contain wildcards`);

/** JSStreamInvalidConfigF (500/10052). */
export const streamInvalidConfig = (err: string): ApiError => e(500, 10052, err);
/** JSStreamCreateErrF (500/10049). */
export const streamCreateError = (err: string): ApiError => e(500, 10049, err);
/** JSStreamUpdateErrF (500/10069). */
export const streamUpdateError = (err: string): ApiError => e(500, 10069, err);
/** JSStreamLimitsErrF (500/10053). */
export const streamLimitsError = (err: string): ApiError => e(500, 10053, err);
/** JSStreamStoreFailedF (503/10077). */
export const streamStoreFailed = (err: string): ApiError => e(503, 10077, err);
/** JSStreamGeneralErrorF (500/10051). */
export const streamGeneralError = (err: string): ApiError => e(500, 10051, err);
/** JSStreamMsgDeleteFailedF (500/10057). */
export const streamMsgDeleteFailed = (err: string): ApiError => e(500, 10057, err);
/** JSStreamPurgeFailedF (500/10110). */
export const streamPurgeFailed = (err: string): ApiError => e(500, 10110, err);
/** JSStreamRollupFailedF (500/10111). */
export const streamRollupFailed = (err: string): ApiError => e(500, 10111, err);
/** JSSequenceNotFoundErrF (400/10043). */
export const sequenceNotFound = (seq: number): ApiError => e(400, 10043, `sequence ${seq} not found`);
/** JSStreamWrongLastMsgIDErrF (400/10070). */
export const wrongLastMsgId = (id: string): ApiError => e(400, 10070, `wrong last msg ID: ${id}`);
/** JSStreamWrongLastSequenceErrF (400/10071). */
export const wrongLastSequence = (seq: number): ApiError => e(400, 10071, `wrong last sequence: ${seq}`);

/** An ApiError thrown inside a handler (e.g. by config validation), caught and answered. */
export class JsApiError extends Error {
  constructor(readonly apiError: ApiError) {
    super(apiError.description);
  }
}
