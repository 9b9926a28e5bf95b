/** Who made a request: the operator credential, a tenant key (or a token minted from it), a user of the identity provider. */
export enum ActorKind {
  Operator = 'operator',
  Key = 'key',
  User = 'user',
  Agent = 'agent',
}

/** The actor recorded on what a request created or decided, and carried by its events. */
export interface Actor {
  tenant_id: string;
  kind: ActorKind;
  /** `operator`, the key's id, the user's `sub` at the identity provider, or the agent's id. */
  id: string;
}
