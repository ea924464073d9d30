/**
 * The warehouse picker shared by the monitor and redistribute wizards: the bundled
 * catalog, popular warehouses first, 8 per page with ◀ ▶, and «🔎 Поиск» by a typed name.
 * Pure: builds the text and keyboard; the features keep the page/query in the conversation.
 */
import { encodeCallback, escapeHtml, searchWarehouses, type InlineButton, type InlineKeyboard, type WarehousePage } from "@wbslots/domain";

/** Warehouses per page. */
export const PICKER_PAGE_SIZE = 8;
/** Longest warehouse name on a button before it is shortened with «…». */
export const PICKER_NAME_MAX = 28;

/** Picker callback actions (after the feature's scope, e.g. `mon:wh:507`). */
export const PICKER_ACTIONS = {
  /** `{scope}:wh:{id}` — choose a warehouse. */
  choose: "wh",
  /** `{scope}:whp:{page}` — a page of the whole catalog. */
  page: "whp",
  /** `{scope}:whr:{page}` — a page of the search results. */
  results: "whr",
  /** `{scope}:whs` — ask for a name to search. */
  search: "whs",
} as const;

/** What the picker shows: a page of the catalog, or of the results of `query`. */
export interface PickerView {
  readonly page: number;
  /** Set when showing search results. */
  readonly query?: string;
}

/** Text and keyboard of one picker screen. */
export interface PickerScreen {
  readonly text: string;
  readonly keyboard: InlineKeyboard;
  readonly result: WarehousePage;
}

/**
 * Shortens a name for a button.
 * @example shortName("Санкт-Петербург (Уткина Заводь)", 20) → "Санкт-Петербург (Ут…"
 */
export function shortName(name: string, max: number = PICKER_NAME_MAX): string {
  const chars = [...name];
  return chars.length <= max ? name : `${chars.slice(0, max - 1).join("")}…`;
}

/**
 * Builds one picker screen.
 * @param scope callback scope of the feature (`mon`, `rd`)
 * @param title the question above the list (HTML, already escaped)
 * @param view page and optional search query
 * @param cancelData callback data of «✖️ Отмена»
 * @param excludeId a warehouse not to offer (e.g. the source of a redistribution)
 */
export function warehousePicker(scope: string, title: string, view: PickerView, cancelData: string, excludeId?: number): PickerScreen {
  const query = view.query?.trim() ?? "";
  const searching = query !== "";
  const result = searchWarehouses(query, { page: view.page, pageSize: PICKER_PAGE_SIZE });
  const items = result.items.filter((w) => w.id !== excludeId);
  const rows: InlineButton[][] = [];
  for (let i = 0; i < items.length; i += 2) {
    rows.push(
      items.slice(i, i + 2).map((w) => ({ text: shortName(w.name), callback_data: encodeCallback(scope, PICKER_ACTIONS.choose, w.id) })),
    );
  }
  if (result.pages > 1) {
    const action = searching ? PICKER_ACTIONS.results : PICKER_ACTIONS.page;
    const prev = result.page > 1 ? result.page - 1 : result.pages;
    const next = result.page < result.pages ? result.page + 1 : 1;
    rows.push([
      { text: "◀", callback_data: encodeCallback(scope, action, prev) },
      { text: `${result.page}/${result.pages}`, callback_data: encodeCallback(scope, "noop") },
      { text: "▶", callback_data: encodeCallback(scope, action, next) },
    ]);
  }
  const tools: InlineButton[] = [{ text: searching ? "🔎 Другой поиск" : "🔎 Поиск", callback_data: encodeCallback(scope, PICKER_ACTIONS.search) }];
  if (searching) tools.push({ text: "📋 Все склады", callback_data: encodeCallback(scope, PICKER_ACTIONS.page, 1) });
  rows.push(tools);
  rows.push([{ text: "✖️ Отмена", callback_data: cancelData }]);

  const lines = [title];
  if (searching) {
    lines.push(
      result.total === 0
        ? `По запросу «${escapeHtml(query)}» ничего не нашлось. Попробуйте часть названия, например «Казань» или «Коледино».`
        : `Найдено по «${escapeHtml(query)}»: ${result.total}.`,
    );
  } else {
    lines.push("Сначала популярные склады. Не нашли свой — нажмите «🔎 Поиск».");
  }
  return { text: lines.join("\n"), keyboard: rows, result };
}

/** Prompt shown after «🔎 Поиск». */
export const PICKER_SEARCH_PROMPT = "🔎 Напишите часть названия склада, например «Коледино», «Казань» или «СПб».";
