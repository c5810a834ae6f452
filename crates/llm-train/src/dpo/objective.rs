use burn::module::Module;
use burn::tensor::Tensor;
use burn::tensor::activation::log_sigmoid;
use burn::train::{InferenceStep, RegressionOutput, TrainOutput, TrainStep};
use llm_data::instruction::PreferenceBatch;
use llm_model::{CausalModel, LanguageModel};
use llm_model::loss::sequence_logprobs;

/// The DPO loss of a batch, `-log σ(β ((π_c − r_c) − (π_r − r_r)))` averaged, from the
/// policy's (`π`) and the reference's (`r`) log-probabilities of the chosen (`c`) and
/// rejected (`r`) responses, each `[batch]`.
pub fn dpo_loss(
    policy_chosen: Tensor<1>,
    policy_rejected: Tensor<1>,
    reference_chosen: Tensor<1>,
    reference_rejected: Tensor<1>,
    beta: f64,
) -> Tensor<1> {
    let logits = (policy_chosen - policy_rejected) - (reference_chosen - reference_rejected);
    -log_sigmoid(logits * beta).mean()
}

/// The policy being tuned and the frozen reference it is measured against.
///
/// Its output is a `RegressionOutput` whose `output` holds, per pair, the chosen and the
/// rejected reward (`[batch, 2]`: policy minus reference log-probability, as the book's
/// `compute_dpo_loss` reports them); `targets` is unused.
#[derive(Module, Debug)]
pub struct DpoObjective {
    pub policy: LanguageModel,
    pub reference: LanguageModel,
    #[module(skip)]
    pub beta: f64,
    /// Average the response log-probabilities over their tokens (the book's code) instead
    /// of summing them.
    #[module(skip)]
    pub average_logprobs: bool,
}

impl DpoObjective {
    /// `reference` is copied into parameters of its own (a clone of the policy would share
    /// them), frozen, and run without dropout.
    pub fn new(policy: LanguageModel, reference: LanguageModel, beta: f64, average_logprobs: bool) -> Self {
        let device = reference.device();
        let fresh = reference.config().init(&device).expect("the reference's own config is valid");
        let reference = fresh.load_record(reference.into_record()).with_dropout(0.0).expect("every family runs without dropout").no_grad();
        Self { policy, reference, beta, average_logprobs }
    }

    pub fn forward_dpo(&self, batch: PreferenceBatch) -> RegressionOutput {
        let avg = self.average_logprobs;
        let logprobs = |model: &LanguageModel, ids: &burn::tensor::Tensor<2, burn::tensor::Int>, mask: &Tensor<2>| {
            sequence_logprobs(model.forward(ids.clone()), ids.clone(), mask.clone(), avg)
        };
        let pc = logprobs(&self.policy, &batch.chosen, &batch.chosen_mask);
        let pr = logprobs(&self.policy, &batch.rejected, &batch.rejected_mask);
        let rc = logprobs(&self.reference, &batch.chosen, &batch.chosen_mask).detach();
        let rr = logprobs(&self.reference, &batch.rejected, &batch.rejected_mask).detach();
        let loss = dpo_loss(pc.clone(), pr.clone(), rc.clone(), rr.clone(), self.beta);
        let rewards = Tensor::stack::<2>(vec![(pc - rc).detach(), (pr - rr).detach()], 1);
        let targets = rewards.zeros_like();
        RegressionOutput::new(loss, rewards, targets)
    }
}

impl TrainStep for DpoObjective {
    type Input = PreferenceBatch;
    type Output = RegressionOutput;

    fn step(&self, batch: PreferenceBatch) -> TrainOutput<RegressionOutput> {
        let out = self.forward_dpo(batch);
        TrainOutput::new(self, out.loss.backward(), out)
    }
}

impl InferenceStep for DpoObjective {
    type Input = PreferenceBatch;
    type Output = RegressionOutput;

    fn step(&self, batch: PreferenceBatch) -> RegressionOutput {
        self.forward_dpo(batch)
    }
}
