import { describe, expect, it } from 'vitest';
import { Analyzer, normalize, type Token } from '../../src/search/analysis/index.ts';
import { planQuery } from '../../src/search/index.ts';
import { commonWords } from '../../src/search/analysis/analyzer.ts';

const analyzer = new Analyzer();
const terms = (tokens: Token[]): string[] => tokens.map((t) => t.term);
/** Each token as term[original text it marks]. */
const marked = (text: string, tokens: Token[]): string[] => tokens.map((t) => `${t.term}[${text.slice(t.start, t.end)}]`);

describe('normalization', () => {
  it('folds full-width letters, digits and spaces (NFKC) and lower-cases, keeping offsets into the original', () => {
    const text = 'ＡＩ　Ｓｔａｃｋ２０２６';
    const n = normalize(text);
    expect(n.text).toBe('ai stack2026');
    expect(text.slice(n.starts[3], n.ends[7])).toBe('Ｓｔａｃｋ');
  });

  it('maps traditional to simplified by phrase, not only by character (滑鼠 → 鼠标, 資料庫 → 数据库)', () => {
    expect(normalize('滑鼠和資料庫的軟體').text).toBe('鼠标和数据库的软件');
  });

  it('aligns phrase conversions that change the length (記憶體 → 内存) to the characters they replaced', () => {
    const text = '記憶體不足的問題';
    expect(marked(text, analyzer.analyze(text, 'query'))).toEqual(['内存[記憶體]', '不足[不足]', '的[的]', '问题[問題]']);
  });

  it('keeps combining marks with their base character', () => {
    const text = 'Cafe\u0301 ok';
    expect(normalize(text).text).toBe('café ok');
  });
});

describe('segmentation', () => {
  it('splits long words into the dictionary words that tile them, and indexes the whole word too', () => {
    const tokens = analyzer.analyze('中国农业发展银行', 'index');
    expect(terms(tokens.filter((t) => !t.sub))).toEqual(['中国', '农业', '发展', '银行']);
    // Indexing keeps the compound as a sub-token over the same characters, so it is found either way.
    expect(tokens.find((t) => t.term === '农业发展银行')).toMatchObject({ sub: true, start: 2, end: 8 });
  });

  it('queries without sub-tokens', () => {
    expect(terms(analyzer.analyze('中国农业发展银行', 'query'))).toEqual(['中国', '农业', '发展', '银行']);
    expect(analyzer.analyze('中国农业发展银行', 'query').some((t) => t.sub)).toBe(false);
  });

  it('segments traditional text as its simplified form, with offsets into the traditional text', () => {
    const text = '長江大橋在南京';
    expect(marked(text, analyzer.analyze(text, 'query'))).toEqual(['长江[長江]', '大桥[大橋]', '在[在]', '南京[南京]']);
  });

  it('lower-cases, drops stop words and stems English; keeps identifiers and numbers as written', () => {
    expect(terms(analyzer.analyze('The Engines are Running on utf8 v2.1 in 2026', 'query'))).toEqual(['engin', 'run', 'utf8', 'v2.1', '2026']);
  });

  it('splits mixed Chinese and English text between scripts', () => {
    const text = '安装Redis缓存';
    expect(marked(text, analyzer.analyze(text, 'query'))).toEqual(['安装[安装]', 'redi[Redis]', '缓存[缓存]']);
  });

  it('produces overlapping CJK bigrams for recall', () => {
    expect(terms(analyzer.bigrams('数据分析，库'))).toEqual(['数据', '据分', '分析', '库']);
  });
});

describe('pinyin', () => {
  it('gives full pinyin and initials of each word, reading polyphones in context', () => {
    expect(analyzer.pinyin('微信支付 重庆')).toEqual({ full: ['weixin', 'zhifu', 'chongqing'], initials: ['wx', 'zf', 'cq'] });
  });
});

describe('user dictionary and synonyms', () => {
  it('keeps dictionary words whole, and a reload takes effect without a new analyzer', () => {
    const custom = new Analyzer();
    expect(terms(custom.analyze('打开云原生平台', 'query'))).toEqual(['打开', '云', '原生', '平台']);
    custom.reload({ dictionary: ['云原生'] });
    expect(terms(custom.analyze('打开云原生平台', 'query'))).toEqual(['打开', '云原生', '平台']);
    custom.reload({});
    expect(terms(custom.analyze('打开云原生平台', 'query'))).toEqual(['打开', '云', '原生', '平台']);
  });

  it('synonyms survive segmentation and are found from either word and either script', () => {
    const custom = new Analyzer({
      synonyms: [
        ['西红柿', '番茄'],
        ['数据库', 'database'],
      ],
    });
    expect(terms(custom.analyze('西红柿炒蛋', 'query'))[0]).toBe('西红柿');
    expect(custom.synonymsOf('番茄')).toEqual(['西红柿', '番茄']);
    expect(custom.synonymsOf('資料庫')).toEqual(['数据库', 'database']);
    expect(custom.synonymsOf('Database')).toEqual(['数据库', 'database']);
    expect(custom.synonymsOf('苹果')).toEqual(['苹果']);
  });

  it('plans a query from each word analysed once (stemming is not idempotent: warehouse → warehous, never wareh)', () => {
    const custom = new Analyzer({ synonyms: [['warehouse', 'depot']] });
    expect(planQuery(analyzer, 'warehouses').groups[0]?.alternatives.map((a) => a.terms)).toEqual([['warehous']]);
    expect(planQuery(custom, 'warehouse').groups[0]?.alternatives.map((a) => a.terms)).toEqual([['warehous'], ['depot']]);
  });
});

describe('hostile input', () => {
  it('handles empty, whitespace-only, control characters, lone surrogates and very long input', () => {
    expect(analyzer.analyze('', 'index')).toEqual([]);
    expect(analyzer.analyze(' \t\n ', 'index')).toEqual([]);
    expect(terms(analyzer.analyze('x\u0000y\u0007数据', 'query'))).toEqual(['x', 'y', '数据']);
    expect(() => analyzer.analyze('\ud800数据\udfff', 'query')).not.toThrow();
    const long = '数据分析'.repeat(25_000);
    const tokens = analyzer.analyze(long, 'index');
    expect(tokens.length).toBeGreaterThan(25_000);
    expect(tokens.every((t) => t.start >= 0 && t.end <= long.length && t.end > t.start)).toBe(true);
  });
});

describe('the segmenter dictionary', () => {
  it('keeps the words whose frequency reaches the minimum, and proper names whatever their count', () => {
    const dictionary = Buffer.from('北京 34488 ns\n罕见词 3 n\n中文 9\n搜索引擎 10 n\n没有频率\n农业发展银行 4 nt\r\n张三丰 3 nr\n最后 120', 'utf8');
    expect(commonWords(dictionary, 10).toString('utf8')).toBe('北京 34488 ns\n搜索引擎 10 n\n农业发展银行 4 nt\n最后 120\n');
    expect(commonWords(Buffer.alloc(0), 10).length).toBe(0);
  });
});
