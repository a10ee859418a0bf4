/**
 * Run colours: a key (the run's grid-cell name) gets the next palette
 * colour the first time it is seen and keeps it, so one configuration has
 * one colour in Live training, Compare and Run detail.
 */
export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

export class ColorRegistry {
  #map = new Map<string, string>();

  colorOf(key: string): string {
    let c = this.#map.get(key);
    if (!c) {
      c = PALETTE[this.#map.size % PALETTE.length];
      this.#map.set(key, c);
    }
    return c;
  }
}
