//! The older `.json` Inspect log: one EvalLog document. Read twice — once for the header (the
//! samples skipped), then the samples one at a time — so the file is never one value in memory.

use super::log::{Header, Sample};
use super::{plan, sample, Attachments};
use crate::server::import::emit::{Emitter, Fail, ReadError};
use crate::server::import::json_stream::{read_doc, stream_array};
use crate::server::import::{ReadOptions, SourceFile};

pub fn read_json(file: &SourceFile, opts: &ReadOptions, emit: &mut Emitter) -> Result<(), Fail> {
    let header: Header = read_doc(file.open()?)?;
    let plan = plan(&header, file, opts.bench.as_deref(), opts.channel.as_deref())?;
    emit.run(plan.header)?;
    let found = stream_array::<Sample>(file.open_tracked()?, &["samples"], &mut |i, mut s| {
        let att = Attachments::ByHash(std::mem::take(&mut s.attachments));
        let (case, result) = sample(s, &plan.scorers, &att);
        emit.case(0, case)?;
        emit.result(0, format!("samples[{i}]"), result)?;
        Ok(())
    })?;
    if !found && header.status == "success" {
        return Err(Fail::Bad(ReadError::at("samples", "the log has no samples (written with log_samples=False?)")));
    }
    Ok(())
}
