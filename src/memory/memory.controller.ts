import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { ApiKeyAuth } from '../common/api-key-auth.decorator';
import { UuidParam } from '../common/uuid-param';
import { CreateMemoryDto, MemoryPageDto, MemoryResponseDto, RecallQueryDto } from './dto/memory.dto';
import { MemoryService } from './memory.service';

@ApiTags('memory')
@ApiKeyAuth()
@ApiParam({ name: 'id', format: 'uuid', description: 'Agent id' })
@Controller('agents/:id')
export class MemoryController {
  constructor(private readonly memory: MemoryService) {}

  @Post('memory')
  @ApiOperation({
    summary: 'Add a user_input or context memory',
    description:
      'The other memory types are written by runs. `trusted: false` marks text that came from outside (a run that recalls it is tainted).',
  })
  @ApiCreatedResponse({ type: MemoryResponseDto })
  @ApiErrors(400, 404, 413, 422)
  addMemory(@UuidParam('id') agentId: string, @Body() dto: CreateMemoryDto): Promise<MemoryResponseDto> {
    return this.memory.add(agentId, dto);
  }

  @Get('recall')
  @ApiOperation({
    summary: 'Recall memories: ranked full-text search with `query`, else newest first',
    description:
      'With query: websearch syntax, the best matches ranked, no cursor. Without: newest first, keyset-paginated. Filters: memory_type, since, until.',
  })
  @ApiOkResponse({ type: MemoryPageDto })
  @ApiErrors(400, 404, 422)
  recall(@UuidParam('id') agentId: string, @Query() query: RecallQueryDto): Promise<MemoryPageDto> {
    return this.memory.recall(agentId, query);
  }

  @Delete('memory/:memory_id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiParam({ name: 'memory_id', format: 'uuid' })
  @ApiOperation({
    summary: 'Delete one memory',
    description: '409 while the run that wrote it is still running.',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(404, 409, 422)
  deleteMemory(@UuidParam('id') agentId: string, @UuidParam('memory_id') memoryId: string): Promise<void> {
    return this.memory.remove(agentId, memoryId);
  }
}
