import { ApiProperty } from '@nestjs/swagger';
import { ActorKind } from './actor';

/** Who made a request, as records and events show it. */
export class ActorDto {
  @ApiProperty({ format: 'uuid', description: 'The tenant the request acted in' })
  tenant_id!: string;

  @ApiProperty({
    enum: ActorKind,
    enumName: 'ActorKind',
    description: '`operator` (AOS_API_KEY) or `key` (a tenant key)',
  })
  kind!: ActorKind;

  @ApiProperty({ description: '`operator`, or the id of the key' })
  id!: string;
}
