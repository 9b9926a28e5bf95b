import { ApiProperty } from '@nestjs/swagger';
import { ConnectionKind } from '../../protocols/connection-kind.enum';
import { SIDE_EFFECTS, type SideEffects } from '../skill';

export class SkillManifestDto {
  @ApiProperty({ example: 'http_call' })
  skill_id!: string;

  @ApiProperty({ example: '1.0.0' })
  version!: string;

  @ApiProperty()
  description!: string;

  @ApiProperty({ type: [String], example: ['network_egress'] })
  capabilities!: string[];

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'JSON Schema of the input' })
  input_schema!: Record<string, unknown>;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'JSON Schema of the output' })
  output_schema!: Record<string, unknown>;

  @ApiProperty({ enum: SIDE_EFFECTS, enumName: 'SideEffects' })
  side_effects!: SideEffects;

  @ApiProperty()
  reversible!: boolean;

  @ApiProperty({
    description:
      'Whether its calls with side effects change something outside AOS: those wait for a person under the side_effects approval policy',
  })
  external_effects!: boolean;

  @ApiProperty({
    description:
      'Whether its results (and errors) are content from outside AOS — a page, a mail, a calendar: reading one taints the run',
  })
  outside_content!: boolean;

  @ApiProperty({
    description: 'Whether a call can carry data out of AOS: once the run is tainted, such calls wait for a person',
  })
  egress!: boolean;

  @ApiProperty({
    required: false,
    enum: ConnectionKind,
    enumName: 'ConnectionKind',
    description: 'The kind of connection its `connection` input names',
  })
  connection_kind?: ConnectionKind;
}

export class SkillListDto {
  @ApiProperty({ type: [SkillManifestDto] })
  items!: SkillManifestDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Always null: every skill fits in one page' })
  next_cursor!: null;
}
