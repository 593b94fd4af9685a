/**
 * Bumped whenever the same input and seed would give different bytes, so a stored
 * metadata.json says which generator made a file.
 */
export const TEST_DATA_VERSION = '1.0.0';

export const MAX_ROWS_PER_TABLE = 10_000_000;
/** Across all tables of one job: one job should not run for hours. */
export const MAX_TOTAL_ROWS = 20_000_000;
export const MAX_TABLES = 20;
export const MAX_FIELDS_PER_TABLE = 200;
export const MAX_STRING_LENGTH = 10_000;
export const MAX_ENUM_VALUES = 10_000;
export const MAX_PATTERN_LENGTH = 500;
/**
 * One value of a pattern field: at most this many characters (a value is built as one
 * string) and this many tree nodes visited (~10 ms), whatever its repeats multiply to.
 */
export const MAX_PATTERN_VALUE_LENGTH = 100_000;
export const MAX_PATTERN_VALUE_STEPS = 1_000_000;
export const DEFAULT_ROWS = 1000;

/** Faker's "now": keeps anything faker dates relative to fixed, so output never depends on the clock. */
export const REFERENCE_DATE = '2025-01-01T00:00:00.000Z';

/** Rows per second assumed by estimateSeconds (measured on a 2-core machine for a 10-field CSV). */
export const ESTIMATED_ROWS_PER_SECOND = 200_000;
