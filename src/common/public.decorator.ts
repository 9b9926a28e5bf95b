import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'aos:public';

/** Marks a route as reachable without `X-AOS-Key` (health, version). */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);
