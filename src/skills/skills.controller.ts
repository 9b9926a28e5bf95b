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
  @ApiOperation({ summary: 'List the skills this instance can run, with their manifests' })
  @ApiOkResponse({ type: SkillListDto })
  listSkills(): SkillListDto {
    return { items: this.registry.manifests() as SkillManifestDto[], next_cursor: null };
  }

  @Get(':skill_id')
  @ApiOperation({ summary: 'Get one skill manifest' })
  @ApiOkResponse({ type: SkillManifestDto })
  @ApiErrors(404)
  getSkill(@Param('skill_id') skillId: string): SkillManifestDto {
    return this.registry.get(skillId).manifest as SkillManifestDto;
  }
}
