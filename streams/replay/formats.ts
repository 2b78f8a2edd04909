// The CSV layouts `sda replay` recognises, tried in order against each file's header line.
import { type CsvFormat, SDA_FORMAT } from './replay.js';

export const REPLAY_FORMATS: CsvFormat[] = [SDA_FORMAT];
