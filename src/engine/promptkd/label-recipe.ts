// Which views teacher labels hold, and whether a run's settings draw only those: pure rules the
// studio's page checks before Start (through engine/surface.ts) and the job checks again.
import { viewEpoch } from './distill.ts';

/** which views were labelled */
export interface LabelRecipe {
  /** draws the crops (it does not matter without augmentation) */
  seed: number;
  /** the epochs the labelling was asked for */
  epochs: number;
  augment: boolean;
  /** views labelled per image: the crops of view epochs 0 … views−1, or 1 (the centre view) without augmentation */
  views: number;
  /** the teacher's input size, the size its views were rendered at */
  inputSize: number;
}

/** the settings of a run that decide which views it draws */
export type ViewDemand = Pick<LabelRecipe, 'seed' | 'epochs' | 'augment'> & { views: number };

const listed = (names: readonly string[]) => `${names.length} (${names.slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''})`;

/** why labels for `labelled` classes cannot serve a run of `run`'s classes; null when they can */
export function classesMismatch(labelled: readonly string[], run: readonly string[]): string | null {
  if (JSON.stringify(labelled) === JSON.stringify(run)) return null;
  return [...labelled].sort().join('\n') === [...run].sort().join('\n')
    ? "the labels are for the same classes in another order (the order decides base and new); put the classes in the labels' order or label again"
    : `the labels are for other classes: ${listed(labelled)}, this run has ${listed(run)}; label again with this run's classes`;
}

/** why labels of `recipe` do not hold every view a run of these settings draws; null when they do */
export function recipeMismatch(recipe: LabelRecipe, run: ViewDemand): string | null {
  if (run.augment !== recipe.augment) {
    return recipe.augment
      ? 'the labels hold random crops and this run trains on centre views (augmentation off): turn augmentation on, or label with --no-augment'
      : 'augmentation is off in the labels (centre views only) and on in this run: turn augmentation off (--no-augment), or label again with it';
  }
  if (!recipe.augment) return null;
  if (run.seed !== recipe.seed) return `the labels are for seed ${recipe.seed}, this run uses seed ${run.seed}`;
  // the view epochs this run draws are 0 … min(epochs, views)−1 (viewEpoch)
  const needed = Math.max(...Array.from({ length: Math.min(run.epochs, run.views || run.epochs) }, (_, e) => viewEpoch(e, run.views))) + 1;
  if (needed <= recipe.views) return null;
  return run.views === 0
    ? `epochs ${run.epochs} > ${recipe.views} labelled: lower the epochs, reuse views (--views ${recipe.views}), or label more epochs`
    : `views ${run.views} > ${recipe.views} labelled: lower --views to ${recipe.views} or label more views`;
}
