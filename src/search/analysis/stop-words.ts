/** English stop words (the Snowball/Lucene core list): dropped from Latin-script text, never from CJK. */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with ' +
    'i me my we our you your he him his she her its them what which who whom do does did have has had were been being am from up down out off over under again'
  ).split(' '),
);
