/** Who made a request: the operator credential or a tenant key (later: a user, an agent). */
export enum ActorKind {
  Operator = 'operator',
  Key = 'key',
}

/** The actor recorded on what a request created or decided, and carried by its events. */
export interface Actor {
  tenant_id: string;
  kind: ActorKind;
  /** `operator`, or the key's id. */
  id: string;
}
