/** A user tried to store a credential they already have. */
export class DuplicateCredentialError extends Error {
  override readonly name = "DuplicateCredentialError";
  constructor() {
    super("this credential is already saved");
  }
}

/** A user already has the maximum number of credentials. */
export class CredentialLimitError extends Error {
  override readonly name = "CredentialLimitError";
  constructor(readonly limit: number) {
    super(`at most ${limit} credentials per user`);
  }
}

/** The row does not exist or does not belong to the asking user. */
export class NotFoundError extends Error {
  override readonly name = "NotFoundError";
  constructor(readonly entity: string) {
    super(`${entity} not found`);
  }
}
