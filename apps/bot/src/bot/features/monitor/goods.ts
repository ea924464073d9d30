/**
 * Parsing the goods of a supply typed by the user: one «баркод количество» per line.
 * Pure; no I/O.
 */

/** One line of goods. */
export interface GoodsLine {
  readonly barcode: string;
  readonly quantity: number;
}

/** At most this many lines (WB accepts more, but a chat message is not the place). */
export const MAX_GOODS_LINES = 50;
/** Largest quantity of one barcode. */
export const MAX_GOODS_QUANTITY = 100_000;

/** Result of {@link parseGoods}: the lines, or Russian error messages (one per bad line). */
export type GoodsParseResult = { readonly ok: true; readonly goods: GoodsLine[] } | { readonly ok: false; readonly errors: string[] };

const LINE_RE = /^(\S+?)[\s;,:x×*]+(\S+)$/i;
const BARCODE_RE = /^\d{6,20}$/;
const QUANTITY_RE = /^\d{1,6}$/;

/**
 * Parses «баркод количество» lines. Separators between the two: spaces, tabs, `;`, `,`,
 * `:`, `x`, `*`. Empty lines are skipped. Barcodes are 6–20 digits; quantities are
 * whole numbers 1–100 000; at most {@link MAX_GOODS_LINES} lines; a barcode may appear once.
 * @returns the goods, or every error found (with line numbers), in Russian
 */
export function parseGoods(text: string): GoodsParseResult {
  const lines = text
    .split(/\r?\n/)
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line !== "");
  if (lines.length === 0) return { ok: false, errors: ["Пришлите хотя бы одну строку «баркод количество»."] };
  if (lines.length > MAX_GOODS_LINES) {
    return { ok: false, errors: [`Слишком много строк: ${lines.length}. Не больше ${MAX_GOODS_LINES}.`] };
  }
  const errors: string[] = [];
  const goods: GoodsLine[] = [];
  const seen = new Set<string>();
  for (const { line, number } of lines) {
    const match = LINE_RE.exec(line);
    if (!match) {
      errors.push(`Строка ${number}: нужно «баркод количество», например «2041234567890 120».`);
      continue;
    }
    const barcode = match[1] ?? "";
    const quantityText = match[2] ?? "";
    if (!BARCODE_RE.test(barcode)) {
      errors.push(`Строка ${number}: баркод должен состоять из цифр, от 6 до 20.`);
      continue;
    }
    const quantity = QUANTITY_RE.test(quantityText) ? Number(quantityText) : NaN;
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_GOODS_QUANTITY) {
      errors.push(`Строка ${number}: количество — целое число от 1 до ${MAX_GOODS_QUANTITY.toLocaleString("ru-RU")}.`);
      continue;
    }
    if (seen.has(barcode)) {
      errors.push(`Строка ${number}: баркод ${barcode} уже есть выше.`);
      continue;
    }
    seen.add(barcode);
    goods.push({ barcode, quantity });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, goods };
}

/**
 * A short Russian summary of goods: «3 баркода, 250 шт.».
 */
export function goodsSummary(goods: readonly GoodsLine[]): string {
  const total = goods.reduce((sum, g) => sum + g.quantity, 0);
  const n = goods.length;
  const d10 = n % 10;
  const d100 = n % 100;
  const word = d10 === 1 && d100 !== 11 ? "баркод" : d10 >= 2 && d10 <= 4 && (d100 < 12 || d100 > 14) ? "баркода" : "баркодов";
  return `${n} ${word}, ${total} шт.`;
}
