import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { existsSync, readFileSync } from 'node:fs';
import { packageInfo, projectRoot } from '../config/package-info';
import { resolve } from 'node:path';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Public } from '../common/public.decorator';
import { VersionResponseDto } from './health.dto';

export const API_VERSION = '1';

@ApiTags('health')
@Public()
@Controller('version')
export class VersionController {
  private readonly version: VersionResponseDto;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const pkg = packageInfo();
    this.version = {
      name: pkg.name,
      version: pkg.version,
      api_version: API_VERSION,
      commit: config.gitCommit ?? readGitCommit(),
    };
  }

  @Get()
  @ApiOperation({
    summary: 'Build and API version',
    description: "Public: the package version, the API contract's version and the git commit of this build.",
  })
  @ApiOkResponse({ type: VersionResponseDto })
  getVersion(): VersionResponseDto {
    return this.version;
  }
}

/** The checked-out commit, read from .git without running git; null outside a checkout. */
function readGitCommit(): string | null {
  try {
    const gitDir = resolve(projectRoot(), '.git');
    const head = readFileSync(resolve(gitDir, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return /^[0-9a-f]{40}$/.test(head) ? head : null;
    const ref = head.slice(5);
    const loose = resolve(gitDir, ref);
    if (existsSync(loose)) return readFileSync(loose, 'utf8').trim();
    const packed = readFileSync(resolve(gitDir, 'packed-refs'), 'utf8');
    return (
      packed
        .split('\n')
        .find((line) => line.endsWith(` ${ref}`))
        ?.split(' ')[0] ?? null
    );
  } catch {
    return null;
  }
}
