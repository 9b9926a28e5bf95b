import { RequiresScope, Scope } from '../common/scopes';
import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { ApiKeyAuth } from '../common/api-key-auth.decorator';
import { PageQueryDto } from '../common/pagination';
import { assertSomeField } from '../common/validation';
import { UuidParam } from '../common/uuid-param';
import { ConnectionsService } from './connections.service';
import {
  CONNECTION_BODY_MODELS,
  CREATE_CONNECTION_BODY,
  ConnectionDto,
  ConnectionPageDto,
  ConnectionTestDto,
  CreateConnectionDto,
  UpdateConnectionDto,
} from './dto/connection.dto';

@ApiTags('connections')
@ApiKeyAuth()
@ApiParam({ name: 'id', format: 'uuid', description: 'Agent id' })
@Controller('agents/:id/connections')
export class ConnectionsController {
  constructor(private readonly connections: ConnectionsService) {}

  @Post()
  @RequiresScope(Scope.Admin)
  @ApiOperation({
    summary: 'Give the agent an account (SMTP, IMAP, CalDAV) or HTTP credentials for its skills',
    description:
      'The secret is sealed with AES-256-GCM (AOS_SECRET_KEY) and never returned: answers say has_secret. The ' +
      'host must be public, or listed in AOS_CONNECTION_ALLOW_HOSTS.',
  })
  @ApiExtraModels(...CONNECTION_BODY_MODELS)
  @ApiBody({ schema: CREATE_CONNECTION_BODY })
  @ApiCreatedResponse({ type: ConnectionDto })
  @ApiErrors(400, 404, 409, 413, 422, 503)
  createConnection(@UuidParam('id') agentId: string, @Body() dto: CreateConnectionDto): Promise<ConnectionDto> {
    return this.connections.create(agentId, dto);
  }

  @Get()
  @ApiOperation({
    summary: 'The agent’s connections, newest first (never their secrets)',
    description: 'Keyset-paginated. Each says has_secret instead of the secret.',
  })
  @ApiOkResponse({ type: ConnectionPageDto })
  @ApiErrors(404, 422)
  listConnections(@UuidParam('id') agentId: string, @Query() query: PageQueryDto): Promise<ConnectionPageDto> {
    return this.connections.list(agentId, query);
  }

  @Get(':connection_id')
  @ApiParam({ name: 'connection_id', format: 'uuid' })
  @ApiOperation({
    summary: 'One connection',
    description: 'Its settings as stored (defaults filled in) and whether a secret is stored.',
  })
  @ApiOkResponse({ type: ConnectionDto })
  @ApiErrors(404, 422)
  getConnection(@UuidParam('id') agentId: string, @UuidParam('connection_id') id: string): Promise<ConnectionDto> {
    return this.connections.get(agentId, id);
  }

  @Patch(':connection_id')
  @RequiresScope(Scope.Admin)
  @ApiParam({ name: 'connection_id', format: 'uuid' })
  @ApiOperation({
    summary: 'Rename a connection, replace its settings, or rotate its secret',
    description: 'settings replace the old ones whole (validated for the kind); a new secret is sealed at once.',
  })
  @ApiOkResponse({ type: ConnectionDto })
  @ApiErrors(400, 404, 409, 413, 422, 503)
  updateConnection(
    @UuidParam('id') agentId: string,
    @UuidParam('connection_id') id: string,
    @Body() dto: UpdateConnectionDto,
  ): Promise<ConnectionDto> {
    assertSomeField(dto);
    return this.connections.update(agentId, id, dto);
  }

  @Delete(':connection_id')
  @RequiresScope(Scope.Admin)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiParam({ name: 'connection_id', format: 'uuid' })
  @ApiOperation({
    summary: 'Delete a connection and its sealed secret',
    description: 'Skills naming it fail from then on with an error the model reads.',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(404, 422)
  deleteConnection(@UuidParam('id') agentId: string, @UuidParam('connection_id') id: string): Promise<void> {
    return this.connections.remove(agentId, id);
  }

  @Post(':connection_id/test')
  @HttpCode(HttpStatus.OK)
  @ApiParam({ name: 'connection_id', format: 'uuid' })
  @ApiOperation({
    summary: 'Log in with the connection and report what the server answered',
    description: 'ok: false with the server’s answer when the login or the connection fails (200 either way).',
  })
  @ApiOkResponse({ type: ConnectionTestDto })
  @ApiErrors(404, 422)
  testConnection(@UuidParam('id') agentId: string, @UuidParam('connection_id') id: string): Promise<ConnectionTestDto> {
    return this.connections.test(agentId, id);
  }
}
