import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { ApiKeyAuth } from '../common/api-key-auth.decorator';
import { SkillListDto, SkillManifestDto } from './dto/skill-manifest.dto';
import { SkillRegistry } from './skill-registry';

@ApiTags('skills')
@ApiKeyAuth()
@Controller('skills')
export class SkillsController {
  constructor(private readonly registry: SkillRegistry) {}

  @Get()
  @ApiOperation({
    summary: 'List the skills this instance can run, with their manifests',
    description:
      "Every skill an agent may be allowed (see an agent's `skills`): its JSON Schemas of input and output, its side effects, whether its results are outside content (`outside_content`) and whether a call can carry data out (`egress`).",
  })
  @ApiOkResponse({ type: SkillListDto })
  listSkills(): SkillListDto {
    return { items: this.registry.manifests(), next_cursor: null };
  }

  @Get(':skill_id')
  @ApiOperation({
    summary: 'Get one skill manifest',
    description: 'The manifest of one skill by its id (404 when this instance has no such skill).',
  })
  @ApiOkResponse({ type: SkillManifestDto })
  @ApiErrors(404)
  getSkill(@Param('skill_id') skillId: string): SkillManifestDto {
    return this.registry.get(skillId).manifest;
  }
}
