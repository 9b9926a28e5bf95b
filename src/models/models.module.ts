import { Module } from '@nestjs/common';
import { ModelsService } from './models.service';

/** Model providers (Anthropic, OpenAI) behind one port; a leaf: it depends on no domain module. */
@Module({
  providers: [ModelsService],
  exports: [ModelsService],
})
export class ModelsModule {}
