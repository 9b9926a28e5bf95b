import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class JwkDto {
  @ApiProperty({ example: 'OKP' })
  kty!: string;

  @ApiPropertyOptional({ example: 'Ed25519' })
  crv?: string;

  @ApiPropertyOptional({ description: 'The public key (base64url)' })
  x?: string;

  @ApiProperty({ description: 'What tokens name it by in their header' })
  kid!: string;

  @ApiProperty({ example: 'EdDSA' })
  alg!: string;

  @ApiProperty({ example: 'sig' })
  use!: string;
}

export class JwksDto {
  @ApiProperty({ type: [JwkDto] })
  keys!: JwkDto[];
}

export class SigningKeyDto {
  @ApiProperty()
  kid!: string;

  @ApiProperty({ example: 'EdDSA' })
  alg!: string;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'Null: it signs new tokens' })
  retired_at!: string | null;
}

export class SigningKeyListDto {
  @ApiProperty({ type: [SigningKeyDto] })
  items!: SigningKeyDto[];
}
