/**
 * Remote control over the sealed channel: remote GPIO and fleet queries, each state-changing operation
 * protected by a single-use challenge from the target (codec, challenge table, target engine, client).
 */
export { ControlError, ControlFrameError, type ControlFailure } from "./errors.ts";
export {
  CONTROL_FLAG_SEALED,
  CONTROL_FRAME_TYPE,
  CONTROL_HEADER_BYTES,
  CONTROL_MARKER,
  CONTROL_VERSION,
  MAX_CONTROL_FRAME_BYTES,
  decodeControlFrame,
  encodeControlFrame,
  encodeControlHeader,
  isWellFormedControlFrame,
  looksLikeControlFrame,
  type ControlFrame,
  type ControlFrameType,
  type ControlHeaderFields,
} from "./frame.ts";
export {
  CHALLENGE_BYTES,
  CHALLENGE_PAYLOAD_BYTES,
  CONTROL_OP,
  MAX_ARGS_BYTES,
  MAX_NAME_BYTES,
  MAX_QUERY_PAYLOAD_BYTES,
  REFUSAL_CODE,
  REFUSAL_PAYLOAD_BYTES,
  REQUEST_ID_BYTES,
  RESULT_STATUS,
  decodeChallenge,
  decodeCommand,
  decodeGetArgs,
  decodeQueryArgs,
  decodeRefusal,
  decodeRequest,
  decodeResult,
  decodeSetArgs,
  encodeChallenge,
  encodeCommand,
  encodeGetArgs,
  encodeQueryArgs,
  encodeRefusal,
  encodeRequest,
  encodeResult,
  encodeSetArgs,
  isChallenged,
  type ChallengePayload,
  type CommandPayload,
  type ControlOp,
  type OperationPayload,
  type RefusalCode,
  type RefusalPayload,
  type ResultPayload,
  type ResultStatus,
} from "./payload.ts";
export { CONTROL_PURPOSE, openControlFrame, sealControlFrame } from "./envelope.ts";
// The challenge table lives in lib/crypto (discovery uses it too); re-exported for control's users.
export { ChallengeTable, type ChallengeBinding, type ChallengeTableOptions, type RedeemRefusal } from "../crypto/index.ts";
export {
  CONTROL_DROP_REASONS,
  CONTROL_REFUSALS,
  ControlServer,
  runControlServer,
  type ControlCounters,
  type ControlDropReason,
  type ControlEvent,
  type ControlReply,
  type ControlServerOptions,
  type Outcome,
  type RemoteGpio,
  type RemoteQueries,
  type Requester,
  type RunControlServerOptions,
} from "./server.ts";
export { createRemoteGpio, type LinesSource } from "./gpio.ts";
export {
  QUERY_KILL_AFTER_BYTES,
  QUERY_STDERR_CAP_BYTES,
  QUERY_STDOUT_CAP_BYTES,
  createRemoteQueries,
  type QuerySpawner,
  type RemoteQueriesOptions,
  type SpawnQueryOptions,
  type SpawnedQuery,
} from "./query.ts";
export { spawnQuery } from "./_spawn.ts";
export {
  runControl,
  type ControlAnswer,
  type ControlClientEvent,
  type ControlRefusal,
  type ControlTarget,
  type RunControlOptions,
  type RunControlResult,
} from "./client.ts";
export { hasControlToServe, serveControl, type ServeControlOptions } from "./serve.ts";
