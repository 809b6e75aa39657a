/**
 * Renders a server snippet that is HTML-escaped text with `<mark>` around the matches, without ever
 * handing it to innerHTML: the two tags split it, entities are decoded, and every piece becomes a text node.
 * Anything else that looks like a tag stays visible text.
 */
export function Marked({ html }: { html: string }) {
  const parts = html.split(/(<mark>|<\/mark>)/);
  const out: (string | preact.JSX.Element)[] = [];
  let inMark = false;
  parts.forEach((part, i) => {
    if (part === '<mark>') inMark = true;
    else if (part === '</mark>') inMark = false;
    else if (part !== '') out.push(inMark ? <mark key={i}>{decode(part)}</mark> : decode(part));
  });
  return <>{out}</>;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", apos: "'" };

export function decode(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#x27|apos);/g, (_, name: string) => ENTITIES[name] ?? '');
}
