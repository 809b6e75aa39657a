// White-space cleaning shared by the HTML and DOCX readers, in a module of its own so that reading an Office
// file does not load the HTML parser.

/** White space runs as one space, trimmed. */
export const collapse = (text: string): string => text.replace(/[ \t\r\n\u00a0]+/g, ' ').trim();

/** Each line collapsed, empty lines dropped: a paragraph with its line breaks. */
export const cleanLines = (text: string): string =>
  text
    .split('\n')
    .map(collapse)
    .filter((line) => line !== '')
    .join('\n');
