export { createWbClients, type WbClients, type WbClientsDeps } from "./clients";
export type { OfficialClient, OfficialCredential, CallOptions, SuppliesFilter } from "./official";
export { PORTAL_METHOD_PATHS, type PortalClient, type PortalCredential, type TransferOrderLine } from "./portal";
export {
  WbError,
  WbUnauthorized,
  WbRateLimited,
  WbMethodDisabled,
  WbCaptchaRequired,
  WbSlotTaken,
  WbBadRequest,
  WbServerError,
  WbTimeout,
  WbBadResponse,
  WbCircuitOpen,
  WbTokenInvalid,
} from "./errors";
export { officialToSlots, portalToSlots, ACCEPTANCE_TYPE_TO_BOX } from "./normalize";
export { refreshIntervalMs, officialLimit, PORTAL_LIMITS, PORTAL_REPORT_REFRESH_MS, type TokenType, type BucketSpec, type OfficialMethod, type PortalMethod } from "./limits";
export { SharedLimiter, type LimitKey, type SharedLimiterOptions } from "./limiter";
export { isWbError, type WbRequestEvent, type RetryOptions, type BreakerOptions } from "./http";
export { decodeWbToken, checkOfficialCredential, checkPortalSession, WB_CATEGORY_BITS, TOKEN_TYPE_RU, type DecodedWbToken, type CredentialVerdict } from "./token";
export * as schemas from "./schemas";
export type { Coefficient, PortalReportRow, WbWarehouse, WbSupply, WbSupplyDetails, WbAcceptanceOptions, TransferQuota, TransferStock } from "./schemas";
