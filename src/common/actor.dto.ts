import { ApiProperty } from '@nestjs/swagger';
import { ActorKind } from './actor';

/** Who made a request, as records and events show it. */
export class ActorDto {
  @ApiProperty({ format: 'uuid', description: 'The tenant the request acted in' })
  tenant_id!: string;

  @ApiProperty({
    enum: ActorKind,
    enumName: 'ActorKind',
    description:
      '`operator` (AOS_API_KEY), `key` (a tenant key, or an access token minted from it), `user` (a token of the identity provider) or `agent`',
  })
  kind!: ActorKind;

  @ApiProperty({ description: "`operator`, the key's id, or the user's `sub` at the identity provider" })
  id!: string;
}
