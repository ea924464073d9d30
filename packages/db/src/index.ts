import type { MasterKey } from "@wbslots/crypto";
import { createDatabase, type Db, type SqlPool } from "./client";
import { ApiKeyRepository } from "./api-keys";
import { BookingRepository } from "./bookings";
import { ConversationRepository } from "./conversations";
import { OperationRepository } from "./operations";
import { PaymentRepository } from "./payments";
import { RedistributionRepository } from "./redistributions";
import { TaskRepository } from "./tasks";
import { UserRepository } from "./users";

export { createPrismaClient, createDatabase, isUniqueViolation, type Db, type SqlPool, type Database, type CreatePrismaOptions } from "./client";
export { DuplicateCredentialError, CredentialLimitError, NotFoundError } from "./errors";
export { isoToDbDate, dbDateToIso } from "./dates";
export { UserRepository, type TelegramProfile } from "./users";
export { ApiKeyRepository, MAX_CREDENTIALS_PER_USER, type CredentialView, type CredentialFacts, type NewCredential } from "./api-keys";
export { TaskRepository, WATCHING_STATUSES, type NewTask, type TaskCheck, type ExpiredTask, type TaskWithCredential } from "./tasks";
export { BookingRepository, type BookingSlot, type ReserveOutcome } from "./bookings";
export { RedistributionRepository, type NewRedistribution } from "./redistributions";
export { PaymentRepository, type NewPayment } from "./payments";
export { OperationRepository, type OperationType } from "./operations";
export { ConversationRepository, type Conversation } from "./conversations";
export { rotateCredentialKeys, type RotationReport } from "./rotate-keys";
export { Prisma } from "./generated/client";
export type {
  User,
  ApiKey,
  MonitoringTask,
  BookingResult,
  RedistributionRequest,
  Payment,
  Operation,
  TaskStatus,
  BookingStatus,
  BookingStep,
  ChargeSource,
  CredentialKind,
  RedistributionStatus,
} from "./generated/client";

/** Every repository over one Prisma client. */
export interface Repositories {
  readonly prisma: Db;
  /** The pool under `prisma`, for raw statements on hot paths that skip Prisma's query compiler. */
  readonly pool: SqlPool;
  readonly users: UserRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly tasks: TaskRepository;
  readonly bookings: BookingRepository;
  readonly redistributions: RedistributionRepository;
  readonly payments: PaymentRepository;
  readonly operations: OperationRepository;
  readonly conversations: ConversationRepository;
  /** Closes the connection pool. */
  close(): Promise<void>;
}

/**
 * Builds the data layer of a process: one Prisma client (over one `pg` pool)
 * and every repository. All database access goes through these repositories.
 * @returns the repositories
 */
export function createRepositories(deps: { databaseUrl: string; masterKey: MasterKey; poolSize?: number; connectionTimeoutMs?: number }): Repositories {
  const { prisma, pool } = createDatabase({
    databaseUrl: deps.databaseUrl,
    ...(deps.poolSize ? { poolSize: deps.poolSize } : {}),
    ...(deps.connectionTimeoutMs ? { connectionTimeoutMs: deps.connectionTimeoutMs } : {}),
  });
  return {
    prisma,
    pool,
    users: new UserRepository(prisma),
    apiKeys: new ApiKeyRepository(prisma, deps.masterKey),
    tasks: new TaskRepository(prisma, pool),
    bookings: new BookingRepository(prisma),
    redistributions: new RedistributionRepository(prisma),
    payments: new PaymentRepository(prisma),
    operations: new OperationRepository(prisma),
    conversations: new ConversationRepository(prisma),
    close: () => prisma.$disconnect(),
  };
}
