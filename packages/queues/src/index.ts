export { QUEUE, MONITOR_EVERY_MS, monitorSchedulerId, redistributeSchedulerId, bookJobId, notificationJobId, parseSchedulerId, type QueueName } from "./names";
export {
  monitorJobSchema,
  bookJobSchema,
  slotRefSchema,
  redistributeJobSchema,
  maintenanceJobSchema,
  notificationJobSchema,
  notificationKindSchema,
  type MonitorJob,
  type BookJob,
  type SlotRef,
  type RedistributeJob,
  type MaintenanceJob,
  type NotificationJob,
  type NotificationKind,
  type NotificationButton,
} from "./payloads";
export { createRedisConnection, type ConnectionKind } from "./connection";
export {
  createQueues,
  upsertMonitor,
  removeMonitor,
  upsertRedistributeWatcher,
  removeRedistributeWatcher,
  enqueueBook,
  enqueueNotification,
  upsertMaintenance,
  schedulePhase,
  RETENTION,
  type Queues,
} from "./producers";
