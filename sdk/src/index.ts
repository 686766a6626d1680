/**
 * @hearth/sdk — the typed client for Hearth. Parts: transport (requests as data, fetch), errors
 * (the server's error table), session + auth, collections (typed filters), files, realtime
 * (subscriptions, channels with presence; socket.io-client loaded on first use), push.
 */
export { createClient, HearthClient, type BatchResult, type ClientOptions } from './client.js';
export {
  ERROR_REASONS,
  ERROR_STATUS,
  HearthError,
  isHearthError,
  type AnyErrorCode,
  type ClientErrorCode,
  type ErrorCode,
  type ErrorDetails,
  type ErrorReason,
} from './errors.js';
export { createTransport, queryString, type RequestDescription, type Transport } from './transport.js';
export type { AbortSignalLike, BlobLike, Clock, FetchLike, RequestInitLike, ResponseLike } from './platform.js';
export { localStorageOrMemory, memoryStorage, type TokenStorage } from './storage.js';
export { navigatorLocks, type AuthChangeEvent, type LockManagerLike, type StoredSession } from './session.js';
export {
  HearthAuth,
  isMfaChallenge,
  isVerificationRequired,
  type OAuthCallbackResult,
  type SignInResult,
} from './auth.js';
export { authRequests, type AuthRequests } from './auth.commands.js';
export type { AuthSession, AuthUser, MfaChallenge, SignInResponse, VerificationRequired } from './auth.types.js';
export {
  CollectionRef,
  type AggregateStage,
  type Collections,
  type CollectionType,
  type DefaultsOf,
  type FieldsOf,
  type Page,
  type TypedFindQuery,
} from './collections.js';
export {
  batchRequest,
  collectionRequests,
  writeHeaders,
  type BatchOp,
  type FindQuery,
  type WriteOptions,
} from './collections.commands.js';
export type {
  Condition,
  CreateInput,
  Doc,
  Filter,
  LooseFilter,
  Path,
  PathValue,
  SortKey,
  SystemFields,
  UpdateInput,
  UpdateOperators,
} from './filter.types.js';
export {
  fileRequests,
  HearthFiles,
  type FileInfo,
  type ResumableUploadOptions,
  type SignedUrlOptions,
  type ThumbFit,
  type ThumbSize,
  type UploadOptions,
  type UploadProgress,
} from './files.js';
export {
  createOfflineQueue,
  OfflineQueue,
  type OfflineQueueOptions,
  type QueuedWrite,
  type QueueState,
} from './offline.js';
export { ReadCache, type Cached, type ReadCacheOptions } from './read-cache.js';
export { HearthRealtime, type RealtimeOptions } from './realtime.js';
export type { IoFactory, IoOptions, SocketLike } from './realtime.socket.js';
export type { ChangeEvent, SubscribeTarget, SubscriptionEvent, Unsubscribe } from './subscription.js';
export type { Channel, Member, PresenceEvent } from './channels.js';
export {
  base64UrlBytes,
  HearthPush,
  pushRequests,
  type Installation,
  type InstallationFields,
  type InstallationInput,
  type InstallationPatch,
  type PushManagerLike,
  type PushSubscriptionLike,
  type TokenRegisterOptions,
  type WebPushSubscription,
  type WebRegisterOptions,
} from './push.js';
