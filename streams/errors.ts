// Codes of the sources' input files (replay CSVs, ERCOT MIS CSVs, the taylor export). A bad row is not an error but a
// rejection (parsed.ts) that goes to the dead-letter topic; these are failures of a whole file. Not retriable.
import { SdaError } from '../platform/errors.js';

/**
 * A source file that cannot be read as a whole: FILE_MISSING, FILE_UNREADABLE (a directory, not a regular file, no read
 * permission), FILE_FORMAT (an unknown header, a wrong length), FILE_EMPTY.
 */
export class SourceFileError extends SdaError<'FILE_MISSING' | 'FILE_UNREADABLE' | 'FILE_FORMAT' | 'FILE_EMPTY'> {
  constructor(
    code: 'FILE_MISSING' | 'FILE_UNREADABLE' | 'FILE_FORMAT' | 'FILE_EMPTY',
    readonly file: string,
    message: string,
  ) {
    super(code, message);
  }
}
