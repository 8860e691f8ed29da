//! The optimizers of the training experiments: SGD with momentum and Adam, as PyTorch
//! defines them (`torch.optim.SGD`, `torch.optim.Adam`).
//!
//! ```text
//! SGD:  v ← μ·v + g;   θ ← θ − η·v
//! Adam: m ← β₁·m + (1 − β₁)·g;   s ← β₂·s + (1 − β₂)·g²;
//!       θ ← θ − η · (m / (1 − β₁ᵗ)) / (√(s / (1 − β₂ᵗ)) + ε)      (Kingma & Ba 2015)
//! ```

use crate::error::{NnError, Result};

/// Which optimizer, with its hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OptimizerKind {
    /// SGD with (heavy-ball) momentum.
    Sgd {
        /// η.
        learning_rate: f64,
        /// μ.
        momentum: f64,
    },
    /// Adam with β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸.
    Adam {
        /// η.
        learning_rate: f64,
    },
}

impl OptimizerKind {
    /// SGD with η = 0.01 and μ = 0.9.
    pub const SGD_DEFAULT: OptimizerKind = OptimizerKind::Sgd {
        learning_rate: 0.01,
        momentum: 0.9,
    };
    /// Adam with η = 10⁻³ (its authors' default).
    pub const ADAM_DEFAULT: OptimizerKind = OptimizerKind::Adam {
        learning_rate: 1e-3,
    };

    /// `sgd` or `adam`.
    pub fn name(&self) -> &'static str {
        match self {
            OptimizerKind::Sgd { .. } => "sgd",
            OptimizerKind::Adam { .. } => "adam",
        }
    }
}

/// Adam's β₁.
pub const ADAM_BETA1: f64 = 0.9;
/// Adam's β₂.
pub const ADAM_BETA2: f64 = 0.999;
/// Adam's ε.
pub const ADAM_EPS: f64 = 1e-8;

/// An optimizer's state for one set of parameters.
#[derive(Debug, Clone)]
pub struct Optimizer {
    kind: OptimizerKind,
    first: Vec<Vec<f64>>,
    second: Vec<Vec<f64>>,
    steps: i32,
}

impl Optimizer {
    /// A fresh optimizer.
    ///
    /// # Errors
    /// [`NnError::InvalidLearningRate`] for a rate that is not finite and positive;
    /// [`NnError::InvalidSetting`] for a momentum outside [0, 1).
    pub fn new(kind: OptimizerKind) -> Result<Optimizer> {
        let (OptimizerKind::Sgd { learning_rate, .. } | OptimizerKind::Adam { learning_rate }) =
            kind;
        if !(learning_rate > 0.0 && learning_rate.is_finite()) {
            return Err(NnError::InvalidLearningRate {
                value: learning_rate,
            });
        }
        if let OptimizerKind::Sgd { momentum, .. } = kind
            && !(0.0..1.0).contains(&momentum)
        {
            return Err(NnError::InvalidSetting {
                reason: format!("the momentum must lie in [0, 1), got {momentum}"),
            });
        }
        Ok(Optimizer {
            kind,
            first: Vec::new(),
            second: Vec::new(),
            steps: 0,
        })
    }

    /// One step: every `parameters[p]` moves along `gradients[p]`.
    ///
    /// # Panics
    /// When the parameters change shape between steps (a programming error).
    pub fn step(&mut self, parameters: Vec<&mut [f64]>, gradients: &[Vec<f64>]) {
        assert_eq!(
            parameters.len(),
            gradients.len(),
            "one gradient per parameter"
        );
        if self.first.is_empty() {
            self.first = gradients.iter().map(|g| vec![0.0; g.len()]).collect();
            if matches!(self.kind, OptimizerKind::Adam { .. }) {
                self.second = self.first.clone();
            }
        }
        self.steps = self.steps.saturating_add(1);
        for (p, (theta, g)) in parameters.into_iter().zip(gradients).enumerate() {
            assert_eq!(theta.len(), g.len(), "parameter {p} changed shape");
            match self.kind {
                OptimizerKind::Sgd {
                    learning_rate,
                    momentum,
                } => {
                    for ((t, v), &gi) in theta.iter_mut().zip(&mut self.first[p]).zip(g) {
                        *v = momentum * *v + gi;
                        *t -= learning_rate * *v;
                    }
                }
                OptimizerKind::Adam { learning_rate } => {
                    let c1 = 1.0 - ADAM_BETA1.powi(self.steps);
                    let c2 = 1.0 - ADAM_BETA2.powi(self.steps);
                    let (m, s) = (&mut self.first[p], &mut self.second[p]);
                    for (((t, mi), si), &gi) in theta.iter_mut().zip(m).zip(s).zip(g) {
                        *mi = ADAM_BETA1 * *mi + (1.0 - ADAM_BETA1) * gi;
                        *si = ADAM_BETA2 * *si + (1.0 - ADAM_BETA2) * gi * gi;
                        *t -= learning_rate * (*mi / c1) / ((*si / c2).sqrt() + ADAM_EPS);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Minimizes f(θ) = ½·Σ aᵢ(θᵢ − 1)² from 0.
    fn minimize(kind: OptimizerKind, steps: usize) -> Vec<f64> {
        let a = [1.0, 4.0, 0.25];
        let mut theta = vec![0.0; 3];
        let mut opt = Optimizer::new(kind).unwrap();
        for _ in 0..steps {
            let g: Vec<f64> = theta.iter().zip(a).map(|(t, ai)| ai * (t - 1.0)).collect();
            opt.step(vec![theta.as_mut_slice()], &[g]);
        }
        theta
    }

    #[test]
    fn both_converge_on_a_quadratic() {
        let sgd = minimize(
            OptimizerKind::Sgd {
                learning_rate: 0.1,
                momentum: 0.9,
            },
            500,
        );
        let adam = minimize(
            OptimizerKind::Adam {
                learning_rate: 0.05,
            },
            2000,
        );
        for t in sgd.iter().chain(&adam) {
            assert!((t - 1.0).abs() < 1e-3, "{sgd:?} {adam:?}");
        }
    }

    #[test]
    fn first_steps_match_the_formulas() {
        // SGD: v₁ = g, θ₁ = −η·g; v₂ = μ·g + g.
        let mut theta = vec![0.0];
        let mut sgd = Optimizer::new(OptimizerKind::Sgd {
            learning_rate: 0.5,
            momentum: 0.9,
        })
        .unwrap();
        sgd.step(vec![theta.as_mut_slice()], &[vec![2.0]]);
        assert_eq!(theta, vec![-1.0]);
        sgd.step(vec![theta.as_mut_slice()], &[vec![2.0]]);
        assert!((theta[0] - (-1.0 - 0.5 * 3.8)).abs() < 1e-15);
        // Adam's first step is −η·sign(g) (up to ε).
        let mut theta = vec![0.0];
        let mut adam = Optimizer::new(OptimizerKind::Adam { learning_rate: 0.1 }).unwrap();
        adam.step(vec![theta.as_mut_slice()], &[vec![-3.0]]);
        assert!((theta[0] - 0.1).abs() < 1e-8);
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(Optimizer::new(OptimizerKind::Adam { learning_rate: 0.0 }).is_err());
        assert!(
            Optimizer::new(OptimizerKind::Sgd {
                learning_rate: 0.1,
                momentum: 1.0
            })
            .is_err()
        );
    }
}
