import type { components, paths } from './generated/schema.js';

type Schemas = components['schemas'];

export type Agent = Schemas['AgentResponseDto'];
export type AgentPage = Schemas['AgentPageDto'];
export type CreateAgent = Schemas['CreateAgentDto'];
export type UpdateAgent = Schemas['UpdateAgentDto'];
export type AgentModels = NonNullable<Agent['models']>;
export type AgentStatus = Schemas['AgentStatus'];
export type Run = Schemas['RunDto'];
export type RunSummary = Schemas['RunSummaryDto'];
export type RunPage = Schemas['RunPageDto'];
export type RunStatus = Schemas['RunStatus'];
export type RunAccepted = Schemas['RunAcceptedDto'];
export type SubmitGoal = Schemas['SubmitGoalDto'];
export type ApprovalAnswer = Schemas['ApprovalAnswerDto'];
export type PendingApproval = Schemas['PendingApprovalDto'];
export type ToolCall = Schemas['ToolCallDto'];
export type ModelCall = Schemas['ModelCallDto'];
export type AosEvent = Schemas['EventDto'];
export type EventType = AosEvent['type'];
export type EventPage = Schemas['EventPageDto'];
export type Memory = Schemas['MemoryResponseDto'];
export type MemoryPage = Schemas['MemoryPageDto'];
export type CreateMemory = Schemas['CreateMemoryDto'];
export type Provenance = Schemas['ProvenanceDto'];
export type Skill = Schemas['SkillManifestDto'];
export type SkillList = Schemas['SkillListDto'];
export type Connection = Schemas['ConnectionDto'];
export type ConnectionPage = Schemas['ConnectionPageDto'];
export type CreateConnection =
  | Schemas['CreateSmtpConnectionDto']
  | Schemas['CreateImapConnectionDto']
  | Schemas['CreateCaldavConnectionDto']
  | Schemas['CreateHttpConnectionDto'];
export type UpdateConnection = Schemas['UpdateConnectionDto'];
export type ConnectionTest = Schemas['ConnectionTestDto'];
export type Webhook = Schemas['WebhookDto'];
export type WebhookPage = Schemas['WebhookPageDto'];
export type CreatedWebhook = Schemas['CreatedWebhookDto'];
export type CreateWebhook = Schemas['CreateWebhookDto'];

export type Tenant = Schemas['TenantDto'];
export type TenantPage = Schemas['TenantPageDto'];
export type TenantStatus = Schemas['TenantStatus'];
export type CreateTenant = Schemas['CreateTenantDto'];
export type UpdateTenant = Schemas['UpdateTenantDto'];
export type ApiKey = Schemas['ApiKeyDto'];
export type ApiKeyPage = Schemas['ApiKeyPageDto'];
export type CreatedKey = Schemas['CreatedKeyDto'];
export type CreateKey = Schemas['CreateKeyDto'];
export type KeyScope = Schemas['KeyScope'];
export type Actor = Schemas['ActorDto'];
export type TenantLimits = Schemas['TenantLimitsDto'];
export type OnTokenLimit = NonNullable<TenantLimits['on_token_limit']>;
export type TenantUsage = Schemas['TenantUsageDto'];
export type TenantUsageDay = Schemas['TenantUsageDayDto'];
export type ModelUsage = Schemas['ModelUsageDto'];

export type TokenRequest = Schemas['TokenRequestDto'];
export type TokenGrant = Schemas['TokenResponseDto'];
export type OAuthError = Schemas['OAuthErrorDto'];
export type Jwk = Schemas['JwkDto'];
export type Jwks = Schemas['JwksDto'];
export type SigningKey = Schemas['SigningKeyDto'];
export type SigningKeyList = Schemas['SigningKeyListDto'];

export type ReplayMode = Schemas['ReplayMode'];
export type ReplayRequest = Schemas['ReplayRequestDto'];
export type RunComparison = Schemas['RunComparisonDto'];
export type CompareStep = Schemas['CompareStepDto'];
export type CompareCall = NonNullable<CompareStep['left']>;
export type Divergence = NonNullable<RunSummary['divergence']>;

export type { components, paths };
