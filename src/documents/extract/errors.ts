import { AiStackError } from '../../shared/errors.ts';

/** The bytes are not a format we read (or not the one they claim to be). */
export class UnsupportedDocumentError extends AiStackError {
  constructor(message: string) {
    super(message, { code: 'unsupported_document', status: 415 });
  }
}

/** The file is a supported format but cannot be read: truncated, corrupt, a decompression bomb, too many pages. */
export class UnreadableDocumentError extends AiStackError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'unreadable_document', status: 422, cause });
  }
}
