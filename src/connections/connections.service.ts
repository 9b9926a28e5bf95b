import { pgError } from '../database/pg-error';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AgentsService } from '../agents/agents.service';
import { InvalidFieldsError } from '../common/domain-error';
import { Page, PageQueryDto } from '../common/pagination';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { protocolOptions } from '../protocols/protocol-options';
import { checkConnection, destinationOf, secretBoundChanges } from '../protocols/settings';
import { ConnectionKind } from '../protocols/connection-kind.enum';
import type { ConnectionEntity } from './connection.entity';
import { ConnectionTester } from './connection-tester';
import {
  ConnectionHostRefusedError,
  ConnectionNameTakenError,
  ConnectionNotFoundError,
  TooManyConnectionsError,
} from './connections.errors';
import { ConnectionsRepository } from './connections.repository';
import { ConnectionDto, ConnectionTestDto, CreateConnectionDto, UpdateConnectionDto } from './dto/connection.dto';
import type { ProtocolOptions, ResolvedConnection } from '../protocols/resolved-connection';
import { SecretSealer } from '../secrets/secret-sealer';
import { SecretKeyMissingError } from '../secrets/secrets.errors';

/** Connections an agent may have. */
export const MAX_CONNECTIONS_PER_AGENT = 50;

/** A connection a run asked for is missing or of another kind (the skill reports it). */
export class ConnectionUnavailableError extends Error {
  override readonly name = 'ConnectionUnavailableError';
}

@Injectable()
export class ConnectionsService {
  private readonly options: ProtocolOptions;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly connections: ConnectionsRepository,
    private readonly agents: AgentsService,
    private readonly secrets: SecretSealer,
    private readonly tester: ConnectionTester,
  ) {
    this.options = protocolOptions(config);
    secrets.register({
      what: 'connection secrets',
      keyIds: () => connections.keyIds(),
      resealFrom: (keyId, limit, reseal) => connections.resealFrom(keyId, limit, reseal),
    });
  }

  async create(agentId: string, dto: CreateConnectionDto): Promise<ConnectionDto> {
    await this.agents.get(agentId);
    if (!this.secrets.available) throw new SecretKeyMissingError();
    const checked = checkConnection(dto.kind, dto.settings, dto.secret, {
      secretRequired: dto.kind !== ConnectionKind.Smtp && !usesAgentToken(dto.kind, dto.settings),
    });
    if (checked.problems.length > 0) throw new InvalidFieldsError(checked.problems);
    await this.checkDestination(dto.kind, checked.settings);
    const id = randomUUID();
    return this.dataSource
      .transaction(async (m) => {
        // The agent's row: its deletion waits, and two creations count one after the other.
        await this.agents.findOrFail(m, agentId, 'update');
        if ((await this.connections.countForAgent(m, agentId)) >= MAX_CONNECTIONS_PER_AGENT) {
          throw new TooManyConnectionsError(MAX_CONNECTIONS_PER_AGENT);
        }
        const saved = await this.connections.insert(m, {
          id,
          agentId,
          name: dto.name,
          kind: dto.kind,
          settings: checked.settings,
          secret: checked.secret === undefined ? null : this.secrets.seal(checked.secret, id),
        });
        return ConnectionDto.from(saved);
      })
      .catch((error: unknown) => {
        throw uniqueName(error, dto.name);
      });
  }

  async list(agentId: string, query: PageQueryDto): Promise<Page<ConnectionDto>> {
    await this.agents.get(agentId);
    const { rows, nextCursor } = await this.connections.page(agentId, query);
    return { items: rows.map((c) => ConnectionDto.from(c)), next_cursor: nextCursor };
  }

  async get(agentId: string, id: string): Promise<ConnectionDto> {
    return ConnectionDto.from(await this.found(agentId, id));
  }

  async update(agentId: string, id: string, dto: UpdateConnectionDto): Promise<ConnectionDto> {
    await this.agents.get(agentId);
    if (dto.secret !== undefined && !this.secrets.available) throw new SecretKeyMissingError();
    return this.dataSource
      .transaction(async (m) => {
        const found = await this.connections.lock(m, agentId, id);
        if (!found) throw new ConnectionNotFoundError(id);
        let settings: Record<string, unknown> | undefined;
        let secret: string | undefined;
        let clearSecret = false;
        if (dto.settings !== undefined || dto.secret !== undefined) {
          const checked = checkConnection(found.kind, dto.settings ?? found.settings, dto.secret, {
            secretRequired: false,
            previousHeaders: found.settings.headers as string[] | undefined,
          });
          if (checked.problems.length > 0) throw new InvalidFieldsError(checked.problems);
          const moved = secretBoundChanges(found.kind, found.settings, checked.settings);
          // An agent token replaces any stored secret (it is dropped, never sent anywhere new).
          const agentToken = usesAgentToken(found.kind, checked.settings);
          if (agentToken && found.secretCiphertext) clearSecret = true;
          if (
            !agentToken &&
            dto.settings !== undefined &&
            dto.secret === undefined &&
            found.secretCiphertext &&
            moved.length > 0
          ) {
            throw new InvalidFieldsError([
              {
                field: 'secret',
                message: `secret is required when ${moved.map((k) => `settings.${k}`).join(', ')} change: the stored secret is never sent anywhere new`,
              },
            ]);
          }
          if (dto.settings !== undefined) {
            await this.checkDestination(found.kind, checked.settings);
            settings = checked.settings;
          } else if (found.kind === ConnectionKind.Http && checked.settings.headers !== undefined) {
            // A new header secret names its headers: the settings show which.
            settings = { ...found.settings, headers: checked.settings.headers };
          }
          secret = checked.secret;
        }
        const saved = await this.connections.update(m, found, {
          name: dto.name,
          settings,
          secret: clearSecret ? null : secret === undefined ? undefined : this.secrets.seal(secret, found.id),
        });
        return ConnectionDto.from(saved);
      })
      .catch((error: unknown) => {
        throw uniqueName(error, dto.name ?? '');
      });
  }

  async remove(agentId: string, id: string): Promise<void> {
    await this.agents.get(agentId);
    if (!(await this.connections.delete(agentId, id))) throw new ConnectionNotFoundError(id);
  }

  /** Logs in with the stored settings and secret; the answer never holds the secret. */
  async test(agentId: string, id: string): Promise<ConnectionTestDto> {
    const found = await this.found(agentId, id);
    return this.tester.test(this.resolved(found));
  }

  /** A connection for a run's skill: by name, of the kind the skill needs, its secret opened. */
  async resolveForRun<K extends ConnectionKind>(
    agentId: string,
    name: string,
    kind: K,
  ): Promise<ResolvedConnection<K>> {
    const found = await this.connections.findByName(agentId, name);
    if (!found) throw new ConnectionUnavailableError(`the agent has no connection named ${name}`);
    if (found.kind !== kind) {
      throw new ConnectionUnavailableError(
        `connection ${name} is a ${found.kind} connection; this skill needs ${kind}`,
      );
    }
    return this.resolved(found) as ResolvedConnection<K>;
  }

  private resolved(found: ConnectionEntity): ResolvedConnection {
    return {
      id: found.id,
      name: found.name,
      kind: found.kind,
      settings: found.settings as never,
      secret:
        found.secretCiphertext === null || found.secretKeyId === null
          ? undefined
          : this.secrets.open({ ciphertext: found.secretCiphertext, keyId: found.secretKeyId }, found.id),
    };
  }

  private async found(agentId: string, id: string): Promise<ConnectionEntity> {
    await this.agents.get(agentId);
    const found = await this.connections.find(agentId, id);
    if (!found) throw new ConnectionNotFoundError(id);
    return found;
  }

  /** The SSRF policy at registration: a private destination is refused unless allow-listed. */
  private async checkDestination(kind: ConnectionKind, settings: Record<string, unknown>): Promise<void> {
    const field =
      kind === ConnectionKind.Caldav
        ? 'settings.url'
        : kind === ConnectionKind.Http
          ? 'settings.origin'
          : 'settings.host';
    let url: URL;
    try {
      url = destinationOf(kind, settings);
    } catch {
      throw new InvalidFieldsError([{ field, message: `${field} does not make a valid address` }]);
    }
    const refusal = await this.options.policy.destinationRefusal(url, 'server', this.options.timeoutMs);
    if (refusal) {
      throw new ConnectionHostRefusedError(
        field,
        refusal.unresolved ? `${field}: ${refusal.message}` : refusal.message,
      );
    }
  }
}

/** A second connection with a taken name: 409 naming it, not the database's message. */
function uniqueName(error: unknown, name: string): unknown {
  const { code, constraint } = pgError(error);
  return code === '23505' && constraint === 'connections_agent_name_key' ? new ConnectionNameTakenError(name) : error;
}

/** An http connection whose calls carry the agent's own signed token instead of a stored secret. */
function usesAgentToken(kind: ConnectionKind, settings: unknown): boolean {
  return kind === ConnectionKind.Http && (settings as { auth?: unknown } | null)?.auth === 'agent_token';
}
