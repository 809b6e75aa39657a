import { AiStackError } from '../shared/errors.ts';

/** The bytes cannot become a thumbnail: not an image, truncated, corrupt, or too large to decode safely. */
export class UnreadableImageError extends AiStackError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'unreadable_image', status: 422, cause });
  }
}
