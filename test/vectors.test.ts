/**
 * The official vector files, every vector, on both backends (issue: cacophony 944, snow 408,
 * noise-c fallback 32). Missing files are reported as skipped with the path looked in.
 */
import { describeVectorFile } from './support/vector-suites.js';

describeVectorFile('cacophony.txt', 944);
describeVectorFile('snow.txt', 408);
describeVectorFile('noise-c-fallback.txt', 32);
