import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { ApiKeyAuth } from '../common/api-key-auth.decorator';
import { PageQueryDto } from '../common/pagination';
import { UuidParam } from '../common/uuid-param';
import { ProvenanceDto, ProvenancePageDto } from './dto/provenance.dto';
import { RunRecordService } from './run-record.service';

@ApiTags('provenance')
@ApiKeyAuth()
@ApiParam({ name: 'id', format: 'uuid', description: 'Agent id' })
@Controller('agents/:id/provenance')
export class ProvenanceController {
  constructor(private readonly record: RunRecordService) {}

  @Get()
  @ApiOperation({
    summary: 'List provenance records (one per run), newest first',
    description: "Each record's id is its run's id; keyset-paginated.",
  })
  @ApiOkResponse({ type: ProvenancePageDto })
  @ApiErrors(404, 422)
  listProvenance(@UuidParam('id') agentId: string, @Query() query: PageQueryDto): Promise<ProvenancePageDto> {
    return this.record.list(agentId, query);
  }

  @Get(':prov_id')
  @ApiParam({ name: 'prov_id', format: 'uuid', description: 'Provenance id (equals the run id)' })
  @ApiOperation({
    summary: 'Get one provenance record with every tool call',
    description: 'The plan, the status, the taint, every model call and every tool call, in step order.',
  })
  @ApiOkResponse({ type: ProvenanceDto })
  @ApiErrors(404, 422)
  getProvenance(@UuidParam('id') agentId: string, @UuidParam('prov_id') id: string): Promise<ProvenanceDto> {
    return this.record.get(agentId, id);
  }
}
