import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { CalendarCreateEventSkill } from './calendar-create-event/calendar-create-event.skill';
import { CalendarListEventsSkill } from './calendar-list-events/calendar-list-events.skill';
import { EmailReadSkill } from './email-read/email-read.skill';
import { MailParsing } from './email-read/mail-parsing';
import { EmailSearchSkill } from './email-search/email-search.skill';
import { EmailSendSkill } from './email-send/email-send.skill';
import { HttpCallSkill } from './http-call/http-call.skill';
import { MemoryRecallSkill } from './memory-recall/memory-recall.skill';
import { MemoryWriteSkill } from './memory-write/memory-write.skill';
import { SKILLS } from './skill';
import { SkillRegistry } from './skill-registry';
import { SkillsController } from './skills.controller';

/** Built-in skills. Adding one: its folder, and one entry here. */
const BUILT_IN_SKILLS = [
  HttpCallSkill,
  MemoryRecallSkill,
  MemoryWriteSkill,
  EmailSendSkill,
  EmailSearchSkill,
  EmailReadSkill,
  CalendarListEventsSkill,
  CalendarCreateEventSkill,
];

@Module({
  // A private axios instance: the skill installs retry interceptors on it.
  imports: [HttpModule.register({})],
  controllers: [SkillsController],
  providers: [
    ...BUILT_IN_SKILLS,
    MailParsing,
    { provide: SKILLS, useFactory: (...skills: unknown[]) => skills, inject: BUILT_IN_SKILLS },
    SkillRegistry,
  ],
  exports: [SkillRegistry],
})
export class SkillsModule {}
