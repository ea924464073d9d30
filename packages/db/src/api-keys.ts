import { decryptSecret, encryptSecret, fingerprintSecret, type MasterKey } from "@wbslots/crypto";
import { isUniqueViolation, TX_OPTIONS, type Db } from "./client";
import { CredentialLimitError, DuplicateCredentialError, NotFoundError } from "./errors";
import type { ApiKey, CredentialKind } from "./generated/client";

/** At most this many credentials per user. */
export const MAX_CREDENTIALS_PER_USER = 5;

/** A credential as shown to its owner: everything but the secret. */
export type CredentialView = Omit<ApiKey, "encryptedKey" | "fingerprint">;

/** What the WB gateway decoded and checked about a credential. */
export interface CredentialFacts {
  tokenType?: string | null;
  sellerId?: string | null;
  supplierId?: string | null;
  categories?: number | null;
  expiresAt?: Date | null;
}

/** Input of {@link ApiKeyRepository.create}. */
export interface NewCredential extends CredentialFacts {
  userId: bigint;
  kind: CredentialKind;
  name: string;
  /** The plaintext secret; encrypted before it reaches the database. */
  secret: string;
}

const viewSelect = {
  id: true,
  userId: true,
  kind: true,
  name: true,
  isValid: true,
  lastUsed: true,
  lastError: true,
  tokenType: true,
  sellerId: true,
  supplierId: true,
  categories: true,
  expiresAt: true,
  createdAt: true,
} as const;

/** Credentials (WB tokens, portal sessions), encrypted at rest. */
export class ApiKeyRepository {
  constructor(
    private readonly db: Db,
    private readonly masterKey: MasterKey,
  ) {}

  /**
   * Encrypts and stores a credential.
   * @throws DuplicateCredentialError when the user already has this secret
   * @throws CredentialLimitError when the user has {@link MAX_CREDENTIALS_PER_USER}
   */
  async create(input: NewCredential): Promise<CredentialView> {
    const fingerprint = fingerprintSecret(this.masterKey, input.secret);
    const encryptedKey = encryptSecret(this.masterKey, input.secret.trim());
    try {
      return await this.db.$transaction(async (tx) => {
        // Lock the owner row so two concurrent adds cannot both pass the limit check.
        await tx.$queryRaw`SELECT id FROM users WHERE id = ${input.userId} FOR UPDATE`;
        const duplicate = await tx.apiKey.findUnique({ where: { userId_fingerprint: { userId: input.userId, fingerprint } }, select: { id: true } });
        if (duplicate) throw new DuplicateCredentialError();
        const count = await tx.apiKey.count({ where: { userId: input.userId } });
        if (count >= MAX_CREDENTIALS_PER_USER) throw new CredentialLimitError(MAX_CREDENTIALS_PER_USER);
        return await tx.apiKey.create({
          data: {
            userId: input.userId,
            kind: input.kind,
            name: input.name,
            encryptedKey,
            fingerprint,
            tokenType: input.tokenType ?? null,
            sellerId: input.sellerId ?? null,
            supplierId: input.supplierId ?? null,
            categories: input.categories ?? null,
            expiresAt: input.expiresAt ?? null,
          },
          select: viewSelect,
        });
      }, TX_OPTIONS);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateCredentialError();
      throw error;
    }
  }

  /**
   * Tells whether the user already stored this secret (before a live check is spent on it).
   * @returns true when a credential with the same fingerprint exists
   */
  async exists(userId: bigint, secret: string): Promise<boolean> {
    const fingerprint = fingerprintSecret(this.masterKey, secret);
    return (await this.db.apiKey.count({ where: { userId, fingerprint } })) > 0;
  }

  /** @returns the user's credentials, oldest first, without secrets */
  async list(userId: bigint): Promise<CredentialView[]> {
    return await this.db.apiKey.findMany({ where: { userId }, orderBy: { createdAt: "asc" }, select: viewSelect });
  }

  /**
   * @returns the credential when it belongs to `userId`
   * @throws NotFoundError otherwise
   */
  async getOwned(userId: bigint, id: string): Promise<CredentialView> {
    const key = await this.db.apiKey.findFirst({ where: { id, userId }, select: viewSelect });
    if (!key) throw new NotFoundError("credential");
    return key;
  }

  /** @returns the credential by id (workers), without the secret */
  async get(id: string): Promise<CredentialView | null> {
    return await this.db.apiKey.findUnique({ where: { id }, select: viewSelect });
  }

  /**
   * Renames a credential of the user.
   * @throws NotFoundError when it is not theirs
   */
  async rename(userId: bigint, id: string, name: string): Promise<void> {
    const result = await this.db.apiKey.updateMany({ where: { id, userId }, data: { name } });
    if (result.count !== 1) throw new NotFoundError("credential");
  }

  /**
   * Deletes a credential of the user (their tasks keep running on no key until reassigned).
   * @throws NotFoundError when it is not theirs
   */
  async delete(userId: bigint, id: string): Promise<void> {
    const result = await this.db.apiKey.deleteMany({ where: { id, userId } });
    if (result.count !== 1) throw new NotFoundError("credential");
  }

  /**
   * Decrypts a credential's secret for a worker. The plaintext lives only in memory.
   * @returns the view and the secret, or null when it no longer exists
   */
  async reveal(id: string): Promise<{ credential: CredentialView; secret: string } | null> {
    const row = await this.db.apiKey.findUnique({ where: { id } });
    if (!row) return null;
    const { encryptedKey, fingerprint: _fingerprint, ...credential } = row;
    return { credential, secret: decryptSecret(this.masterKey, encryptedKey) };
  }

  /** Marks a credential invalid with the reason WB gave. */
  async markInvalid(id: string, reason: string): Promise<void> {
    await this.db.apiKey.updateMany({ where: { id }, data: { isValid: false, lastError: reason } });
  }

  /** Marks a credential valid again (after a fresh successful check). */
  async markValid(id: string): Promise<void> {
    await this.db.apiKey.updateMany({ where: { id }, data: { isValid: true, lastError: null } });
  }

  /** Records a successful use. */
  async touch(id: string, at: Date = new Date()): Promise<void> {
    await this.db.apiKey.updateMany({ where: { id }, data: { lastUsed: at } });
  }

  /**
   * Other valid credentials of the same user and kind for the same WB seller account
   * ("ротация ключей": where tasks move when one key dies).
   * @returns candidates, most recently used first
   */
  async validSiblings(credential: Pick<CredentialView, "id" | "userId" | "kind" | "sellerId" | "supplierId">): Promise<CredentialView[]> {
    const sameAccount =
      credential.kind === "PORTAL_SESSION" ? { supplierId: credential.supplierId } : { sellerId: credential.sellerId };
    return await this.db.apiKey.findMany({
      where: { userId: credential.userId, kind: credential.kind, isValid: true, id: { not: credential.id }, ...sameAccount },
      orderBy: [{ lastUsed: { sort: "desc", nulls: "last" } }, { createdAt: "asc" }],
      select: viewSelect,
    });
  }

  /**
   * Every stored envelope, for key rotation.
   * @returns ids with their envelopes
   */
  async allEnvelopes(): Promise<{ id: string; encryptedKey: string }[]> {
    return await this.db.apiKey.findMany({ select: { id: true, encryptedKey: true } });
  }

  /** Replaces one envelope and fingerprint (key rotation). */
  async replaceEnvelope(id: string, encryptedKey: string, fingerprint: string): Promise<void> {
    await this.db.apiKey.update({ where: { id }, data: { encryptedKey, fingerprint } });
  }
}
